"""Which command lists a host's disks, and how its output is read."""

from __future__ import annotations

import json

import pytest

from ceph_tasks.remote.devices import LSBLK, list_devices_command, parse_device_report
from inventory import CephadmControl, CommandsControl, SystemdControl


def commands(**extra: object) -> CommandsControl:
    """A commands-kind daemon control with the required templates and extra ones."""
    return CommandsControl.model_validate({
        "kind": "commands", "start_osd": ["osdctl", "start", "{osd_id}"],
        "stop_osd": ["osdctl", "stop", "{osd_id}"],
        "create_osd": ["osdctl", "create", "{device}"], **extra})


def test_a_commands_host_is_asked_with_its_own_listing_template() -> None:
    control = commands(list_devices=["hostctl", "list-devices"])
    assert list_devices_command(control) == ("hostctl", "list-devices")


@pytest.mark.parametrize("control", [SystemdControl(), CephadmControl(),
                                     commands()])
def test_other_hosts_are_asked_with_lsblk(control: object) -> None:
    assert list_devices_command(control) == LSBLK  # type: ignore[arg-type]


def test_a_listing_template_takes_no_placeholders() -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        commands(list_devices=["hostctl", "{device}"])


def test_lsblk_output_is_read_with_padding_and_missing_serials() -> None:
    output = json.dumps({"blockdevices": [
        {"path": "/dev/sda", "serial": "  S3Z9NB0K  "},
        {"path": "/dev/sdb", "serial": None},
        {"path": "/dev/nvme0n1", "serial": "PHLJ0001"}]})
    assert parse_device_report(output) == {"/dev/sda": "S3Z9NB0K", "/dev/sdb": None,
                                           "/dev/nvme0n1": "PHLJ0001"}


def test_a_list_of_devices_is_read_ignoring_other_fields() -> None:
    output = json.dumps([{"path": "/dev/sandbox/node3-sdb", "serial": "SBX-1", "bay": 1,
                          "osd_id": None}])
    assert parse_device_report(output) == {"/dev/sandbox/node3-sdb": "SBX-1"}


@pytest.mark.parametrize("output", ["", "not json", '{"devices": []}', '[{"serial": "X"}]',
                                    "[1]"])
def test_output_of_another_shape_is_refused(output: str) -> None:
    with pytest.raises(ValueError):
        parse_device_report(output)
