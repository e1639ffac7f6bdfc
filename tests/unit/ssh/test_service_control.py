"""Which argv adds or removes a monitor, manager or MDS with each kind of daemon control."""

from __future__ import annotations

import pytest

from ceph_tasks.remote.services import ServiceAction, service_commands
from inventory import CephadmControl, CommandsControl, CommandTemplateError, SystemdControl

ADD, REMOVE = ServiceAction.ADD, ServiceAction.REMOVE


def test_systemd_hosts_follow_cephs_manual_steps_and_units() -> None:
    control = SystemdControl()
    mon = service_commands(control, ADD, "h1.dc", "mon", "h1")
    assert [c[0] for c in mon] == ["ceph", "ceph", "ceph-mon", "rm", "systemctl"]
    assert mon[-1] == ("systemctl", "enable", "--now", "ceph-mon@h1")
    mgr = service_commands(control, ADD, "h1.dc", "mgr", "h1")
    assert mgr[1][:4] == ("ceph", "auth", "get-or-create", "mgr.h1")
    assert mgr[1][-2:] == ("-o", "/var/lib/ceph/mgr/ceph-h1/keyring")
    assert service_commands(control, REMOVE, "h1.dc", "mds", "h1") == (
        ("systemctl", "disable", "--now", "ceph-mds@h1"),)


def test_cephadm_hosts_ask_the_orchestrator_an_mds_for_its_file_system() -> None:
    control = CephadmControl()
    orch = ("cephadm", "shell", "--", "ceph", "orch")
    assert service_commands(control, ADD, "h1.dc", "mon", "h1") == (
        (*orch, "daemon", "add", "mon", "h1.dc"),)
    assert service_commands(control, ADD, "h1.dc", "mds", "h1", fs="cephfs") == (
        (*orch, "daemon", "add", "mds", "cephfs", "h1.dc"),)
    assert service_commands(control, REMOVE, "h1.dc", "mgr", "h1") == (
        (*orch, "daemon", "rm", "mgr.h1", "--force"),)
    with pytest.raises(ValueError, match="cephadm adds an MDS for a file system"):
        service_commands(control, ADD, "h1.dc", "mds", "h1")


def test_command_templates_get_kind_and_id_as_single_words() -> None:
    control = CommandsControl(start_osd=("ctl", "{osd_id}"), stop_osd=("ctl", "{osd_id}"),
                              create_osd=("ctl", "{device}"),
                              add_daemon=("ctl", "add", "{kind}", "id={daemon_id}"))
    assert service_commands(control, ADD, "h1", "mgr", "h1; rm -rf /") == (
        ("ctl", "add", "mgr", "id=h1; rm -rf /"),)
    with pytest.raises(CommandTemplateError, match="host h1 has no remove_daemon command"):
        service_commands(control, REMOVE, "h1", "mgr", "h1")
    with pytest.raises(ValueError, match="only"):
        service_commands(control, ADD, "h1", "osd", "3")


def test_a_template_naming_an_unknown_placeholder_is_refused_by_the_inventory() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder\(s\) osd_id"):
        CommandsControl(start_osd=("ctl", "{osd_id}"), stop_osd=("ctl", "{osd_id}"),
                        create_osd=("ctl", "{device}"), add_daemon=("ctl", "{osd_id}"))
