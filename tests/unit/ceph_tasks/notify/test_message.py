"""The technician message names everything a technician needs at the rack."""

from __future__ import annotations

import pytest

from ceph_tasks.errors import InvalidInput
from ceph_tasks.notify.message import build_message, format_size
from inventory.errors import UnknownDeviceError
from tests.support.technicians import a_host, a_message


def test_the_message_names_location_host_devices_action_and_reference() -> None:
    message = a_message()
    for text in ("prod-ams", "DC1", "R2", "A7", "node2", "Replace failed disk", "wf-42-node2"):
        assert text in message.subject
    for text in ("prod-ams", "DC1", "R2", "A7", "node2", "Replace failed disk",
                 "bay 3", "ZA1B2C3D", "/dev/sdb", "4.0 TB", "confirm quoting the reference"):
        assert text in message.body
    assert "ZA9Y8X7W" not in message.body
    assert (message.host, message.cluster, message.reference) == ("node2", "prod-ams",
                                                                  "wf-42-node2")


def test_without_device_paths_every_disk_of_the_host_is_listed() -> None:
    message = build_message(cluster="prod-ams", host=a_host(), action="Decommission host",
                            reference="wf-7")
    assert "Devices in the host" in message.body
    assert "ZA1B2C3D" in message.body and "ZA9Y8X7W" in message.body
    assert "bay unknown, serial unknown, /dev/sdd, size unknown" in message.body


def test_instructions_are_included_before_the_confirmation_line() -> None:
    message = build_message(cluster="c", host=a_host(), action="Swap", reference="r1",
                            device_paths=("/dev/sdc",), instructions="Use a 4 TB HGST spare.")
    assert message.body.index("HGST") < message.body.index("confirm quoting")


def test_a_device_the_host_does_not_have_is_refused() -> None:
    with pytest.raises(UnknownDeviceError, match="node2"):
        build_message(cluster="c", host=a_host(), action="Swap", reference="r1",
                      device_paths=("/dev/sdz",))


@pytest.mark.parametrize("field", ["cluster", "action"])
def test_text_that_would_break_a_mail_header_is_refused(field: str) -> None:
    values = {"cluster": "c", "action": "Swap"} | {field: "Swap\nBcc: evil@example.net"}
    with pytest.raises(ValueError, match="one line"):
        build_message(host=a_host(), reference="r1", **values)


def test_an_unsafe_reference_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reference"):
        build_message(cluster="c", host=a_host(), action="Swap", reference="a b")


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, "size unknown"), (512, "512 B"), (1_500_000, "1.5 MB"),
     (960_197_124_096, "960.2 GB"), (18_000_207_937_536, "18.0 TB")],
)
def test_sizes_are_shown_in_decimal_units(size: int | None, shown: str) -> None:
    assert format_size(size) == shown


def test_with_a_public_url_the_message_ends_with_the_confirmation_link() -> None:
    message = build_message(cluster="prod-ams", host=a_host(), action="Replace failed disk",
                            reference="wf-42-node2", device_paths=("/dev/sdb",),
                            public_url="https://cephmaint.example.com/")
    assert message.body.splitlines()[-1] == (
        "Confirm here: https://cephmaint.example.com/technicians/wf-42-node2")
    assert message.body.index("confirm quoting") < message.body.index("Confirm here:")


def test_without_a_public_url_the_message_has_no_link() -> None:
    assert "Confirm here" not in a_message().body
    assert a_message().body.splitlines()[-1] == (
        "When done, confirm quoting the reference wf-42-node2.")


def test_a_public_url_on_several_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="one line"):
        build_message(cluster="c", host=a_host(), action="Swap", reference="r1",
                      public_url="https://cephmaint.example.com\nBcc: evil@example.net")
