"""Failed commands become typed errors carrying the command and the cluster's message."""

from __future__ import annotations

import errno

import pytest

from ceph_tasks.ceph.command import CephCommand, command_error, parse_output, result_of
from ceph_tasks.errors import (
    CephBadOutput,
    CephBusy,
    CephCommandError,
    CephCommandTimeout,
    CephInvalidCommand,
    CephNotFound,
    CephPermissionDenied,
    CephTaskError,
    CephTryAgain,
)

REWEIGHT = CephCommand("osd crush reweight", {"name": "osd.9", "weight": 0.0})


@pytest.mark.parametrize(("code", "kind"), [
    (errno.EPERM, CephPermissionDenied),
    (errno.EACCES, CephPermissionDenied),
    (errno.ENOENT, CephNotFound),
    (errno.EBUSY, CephBusy),
    (errno.EAGAIN, CephTryAgain),
    (errno.EINVAL, CephInvalidCommand),
    (errno.ETIMEDOUT, CephCommandTimeout),
    (errno.EIO, CephCommandError),
])
def test_errno_picks_the_error_type_whatever_its_sign(code: int, kind: type) -> None:
    for signed in (code, -code):  # librados returns -errno, the CLI exits with errno
        error = command_error(REWEIGHT, signed, "the message\n")
        assert type(error) is kind and isinstance(error, CephTaskError)
        assert error.code == code and error.message == "the message"


def test_error_text_names_command_arguments_errno_and_message() -> None:
    error = command_error(REWEIGHT, -2, "device 'osd.9' does not appear in the crush map")
    assert str(error) == (
        'ceph osd crush reweight {"name": "osd.9", "weight": 0.0} failed with ENOENT: '
        "device 'osd.9' does not appear in the crush map"
    )
    assert error.command == REWEIGHT.describe()


def test_error_without_a_message_says_what_the_errno_means() -> None:
    error = command_error(CephCommand("osd df"), -errno.ETIMEDOUT, "")
    assert isinstance(error, CephCommandTimeout)
    assert str(error) == "ceph osd df failed with ETIMEDOUT: Connection timed out"


def test_refusal_keeps_what_the_command_printed() -> None:
    error = command_error(CephCommand("osd ok-to-stop"), -16, "unsafe", '{"ok_to_stop":false}')
    assert isinstance(error, CephBusy) and error.output == '{"ok_to_stop":false}'


def test_result_of_returns_json_on_success_and_raises_on_failure() -> None:
    assert result_of(REWEIGHT, 0, '{"a": 1}\n', "") == {"a": 1}
    assert result_of(REWEIGHT, 0, "", "reweighted") is None
    with pytest.raises(CephBusy):
        result_of(REWEIGHT, -16, "", "busy")


def test_output_that_is_not_json_is_bad_output() -> None:
    with pytest.raises(CephBadOutput, match="not JSON"):
        parse_output(REWEIGHT, "reweighted item id 9")


def test_command_json_always_asks_for_json_output() -> None:
    assert CephCommand("status", {"format": "plain"}).to_json() == (
        '{"prefix": "status", "format": "json"}')
