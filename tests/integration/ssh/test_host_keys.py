"""Host keys: only keys known_hosts lists are trusted; unknown ones only when the inventory says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ceph_tasks.errors import HostKeyRejected
from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from tests.integration.ssh.conftest import sandbox_host

pytestmark = pytest.mark.integration


def known_line(box: Sandbox, name: str) -> str:
    """The sandbox's known_hosts line for a host."""
    host = box.layout().host(name)
    lines = box.layout().known_hosts_path.read_text().splitlines()
    return next(line for line in lines if line.startswith(f"[{host.address}]:"))


def known_hosts_with(path: Path, *lines: str) -> Path:
    """Write a known_hosts file holding exactly these lines."""
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_node2_presenting_another_hosts_key_is_refused_as_changed(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    node2 = sandbox.layout().host("node2")
    node1_key = known_line(sandbox, "node1").split(maxsplit=1)[1]
    wrong = known_hosts_with(tmp_path / "known_hosts", f"[{node2.address}]:2222 {node1_key}")
    for accept_unknown in (False, True):
        host = sandbox_host(sandbox, "node2", known_hosts_path=wrong,
                            accept_unknown_host_keys=accept_unknown)
        with SshExecutor() as executor, pytest.raises(HostKeyRejected) as caught:
            executor.run(host, ["true"])
        assert "CHANGED" in str(caught.value)
        assert "man-in-the-middle" in str(caught.value)
        assert caught.value.host == "node2"


def test_an_unknown_host_is_refused_by_default(sandbox: Sandbox, tmp_path: Path) -> None:
    only_node1 = known_hosts_with(tmp_path / "known_hosts", known_line(sandbox, "node1"))
    host = sandbox_host(sandbox, "node2", known_hosts_path=only_node1)
    with SshExecutor() as executor, pytest.raises(HostKeyRejected) as caught:
        executor.run(host, ["true"])
    assert "unknown" in str(caught.value)
    assert f"[{host.ssh.address}]:2222" in str(caught.value)
    assert "SHA256:" in str(caught.value)


def test_an_unknown_host_is_accepted_with_the_flag_without_writing_known_hosts(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    empty = known_hosts_with(tmp_path / "known_hosts")
    host = sandbox_host(sandbox, "node2", known_hosts_path=empty, accept_unknown_host_keys=True)
    with SshExecutor() as executor:
        assert executor.run(host, ["echo", "ok"]).stdout == "ok\n"
        executor.disconnect(host)  # the accepted key stays pinned across reconnects
        assert executor.run(host, ["echo", "again"]).stdout == "again\n"
    assert empty.read_text() == ""


def test_a_missing_known_hosts_file_refuses_and_says_so(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    host = sandbox_host(sandbox, "node2", known_hosts_path=tmp_path / "absent")
    with SshExecutor() as executor, pytest.raises(HostKeyRejected, match="does not exist"):
        executor.run(host, ["true"])


def test_hashed_known_hosts_entries_are_honoured(sandbox: Sandbox, tmp_path: Path) -> None:
    hashed = known_hosts_with(tmp_path / "known_hosts", known_line(sandbox, "node2"))
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(hashed)], check=True,
                   capture_output=True)
    assert hashed.read_text().startswith("|1|")
    host = sandbox_host(sandbox, "node2", known_hosts_path=hashed)
    with SshExecutor() as executor:
        assert executor.run(host, ["echo", "ok"]).stdout == "ok\n"
