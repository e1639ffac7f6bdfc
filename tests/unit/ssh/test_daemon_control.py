"""Which argv each kind of daemon control runs, and the adapter's guards."""

from __future__ import annotations

import pytest

from ceph_tasks.remote.daemons import DEFAULT_TIMEOUTS, HostDaemons, OsdAction, osd_command
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import (
    CephadmControl,
    CommandsControl,
    CommandTemplateError,
    SystemdControl,
    UnknownDeviceError,
)
from tests.unit.ssh.hosts import make_host

TEMPLATES = {
    "kind": "commands",
    "start_osd": ["ctl", "start", "{osd_id}"],
    "stop_osd": ["ctl", "stop", "osd.{osd_id}"],
    "create_osd": ["ctl", "create", "--data={device}", "--id", "{osd_id}"],
}


def test_systemd_hosts_use_the_units_and_ceph_volume() -> None:
    control = SystemdControl()
    assert osd_command(control, OsdAction.START, "h", osd_id=4) == (
        "systemctl", "start", "ceph-osd@4")
    assert osd_command(control, OsdAction.STOP, "h", osd_id=4) == (
        "systemctl", "stop", "ceph-osd@4")
    assert osd_command(control, OsdAction.CREATE, "h", device="/dev/sdb") == (
        "ceph-volume", "lvm", "create", "--data", "/dev/sdb")
    assert osd_command(control, OsdAction.CREATE, "h", device="/dev/sdb", osd_id=7)[-2:] == (
        "--osd-id", "7")
    assert osd_command(control, OsdAction.ZAP, "h", device="/dev/sdb") == (
        "ceph-volume", "lvm", "zap", "--destroy", "/dev/sdb")


def test_cephadm_hosts_go_through_the_orchestrator() -> None:
    control = CephadmControl()
    orch = ("cephadm", "shell", "--", "ceph", "orch")
    assert osd_command(control, OsdAction.STOP, "stor01", osd_id=4) == (
        *orch, "daemon", "stop", "osd.4")
    assert osd_command(control, OsdAction.CREATE, "stor01", device="/dev/sdb", osd_id=4) == (
        *orch, "daemon", "add", "osd", "stor01:/dev/sdb")
    assert osd_command(control, OsdAction.ZAP, "stor01", device="/dev/sdb") == (
        *orch, "device", "zap", "stor01", "/dev/sdb", "--force")


def test_command_templates_are_filled_word_by_word() -> None:
    control = CommandsControl.model_validate(TEMPLATES)
    assert osd_command(control, OsdAction.STOP, "h", osd_id=12) == ("ctl", "stop", "osd.12")
    assert osd_command(control, OsdAction.CREATE, "h", osd_id=3, device="/dev/sdb") == (
        "ctl", "create", "--data=/dev/sdb", "--id", "3")


def test_a_missing_value_or_template_is_an_error_before_anything_runs() -> None:
    control = CommandsControl.model_validate(TEMPLATES)
    with pytest.raises(CommandTemplateError, match="osd_id"):
        osd_command(control, OsdAction.CREATE, "h", device="/dev/sdb")
    with pytest.raises(CommandTemplateError, match="no zap_device"):
        osd_command(control, OsdAction.ZAP, "h", device="/dev/sdb")
    with pytest.raises(ValueError, match="needs an OSD id"):
        osd_command(SystemdControl(), OsdAction.STOP, "h")


def test_the_adapter_runs_each_action_on_its_host_with_that_actions_timeout() -> None:
    fake = FakeExecutor()
    for argv in (("systemctl", "stop", "ceph-osd@4"),
                 ("ceph-volume", "lvm", "zap", "--destroy", "/dev/sdb")):
        fake.reply(argv)
    daemons = HostDaemons(fake, make_host())
    daemons.stop_osd(4)
    daemons.zap_device("/dev/sdb")
    assert [(c.host, c.argv, c.timeout) for c in fake.calls] == [
        ("stor01", ("systemctl", "stop", "ceph-osd@4"), DEFAULT_TIMEOUTS[OsdAction.STOP]),
        ("stor01", ("ceph-volume", "lvm", "zap", "--destroy", "/dev/sdb"),
         DEFAULT_TIMEOUTS[OsdAction.ZAP]),
    ]


def test_devices_the_inventory_does_not_list_are_refused_without_running_anything() -> None:
    fake = FakeExecutor()
    daemons = HostDaemons(fake, make_host())
    for device in ("/dev/sdc", "/dev/sdb; touch /tmp/pwned", "$(id)"):
        with pytest.raises(UnknownDeviceError):
            daemons.zap_device(device)
        with pytest.raises(UnknownDeviceError):
            daemons.create_osd(device)
    assert fake.calls == []
