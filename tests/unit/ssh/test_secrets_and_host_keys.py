"""Secrets stay hidden; host key errors say what was offered, what was expected, and why."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from ceph_tasks.errors import CephTaskError
from ceph_tasks.remote.hostkeys import (
    UnknownHostKey,
    changed_key_error,
    known_hosts_name,
    unknown_key_error,
)
from ceph_tasks.remote.secrets import Secret
from ceph_tasks.remote.ssh import SshExecutor
from tests.unit.ssh.hosts import make_host


def test_a_secret_never_shows_in_repr_or_str() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in repr({"passphrase": secret})
    assert secret.reveal() == "hunter2"


def test_a_secret_from_an_unset_variable_names_only_the_variable() -> None:
    assert Secret.from_env("KEY_PASS", {"KEY_PASS": "s3"}) == Secret("s3")
    with pytest.raises(CephTaskError, match="KEY_PASS is not set"):
        Secret.from_env("KEY_PASS", {})


def test_an_executor_repr_holds_no_passphrase() -> None:
    executor = SshExecutor(key_passphrases={Path("/k"): Secret("hunter2")})
    assert "hunter2" not in repr(executor)
    assert "hunter2" not in repr(vars(executor))


def test_known_hosts_names_carry_the_port_only_off_22() -> None:
    assert known_hosts_name("10.0.0.1", 22) == "10.0.0.1"
    assert known_hosts_name("10.0.0.1", 2222) == "[10.0.0.1]:2222"


def test_an_unknown_key_error_names_host_key_file_and_the_way_out(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    host = make_host(known_hosts_path=known)
    key = paramiko.ECDSAKey.generate()
    message = str(unknown_key_error(host, UnknownHostKey("[192.0.2.11]:2222", key)))
    assert message.startswith("cannot connect to host stor01 at 192.0.2.11:2222: host key ")
    assert key.fingerprint in message
    assert str(known) in message
    assert "accept_unknown_host_keys" in message
    assert "does not exist" not in message


def test_a_changed_key_error_shows_both_keys_and_is_final() -> None:
    host = make_host(known_hosts_path="/etc/cephmaint/known_hosts")
    offered, expected = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    error = changed_key_error(host, paramiko.BadHostKeyException("h", offered, expected))
    assert offered.fingerprint in str(error) and expected.fingerprint in str(error)
    assert "refused even with accept_unknown_host_keys" in str(error)
    assert (error.host, error.address, error.port) == ("stor01", "192.0.2.11", 2222)


def test_executor_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        SshExecutor(connect_timeout=0)
    with pytest.raises(ValueError):
        SshExecutor(sessions_per_host=0)
    executor = SshExecutor()
    executor.close()
    with pytest.raises(RuntimeError, match="closed"):
        executor.run(make_host(), ["true"])
