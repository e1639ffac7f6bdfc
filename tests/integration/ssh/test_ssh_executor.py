"""The SSH executor on the sandbox's real sshd hosts: where commands land, reuse, limits."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ceph_tasks.errors import CommandFailed, CommandTimedOut, SshConnectError
from ceph_tasks.remote.secrets import Secret
from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from tests.integration.ssh.conftest import sandbox_host, unused_address
from tests.support.poll import poll

pytestmark = pytest.mark.integration

SSH_CONNECTION = ["sh", "-c", "echo $SSH_CONNECTION"]
# Kills the sshd process serving this connection: the host drops the link mid-session.
KILL_MY_SSHD = """
import os, signal
pid = os.getppid()
while open(f"/proc/{pid}/comm").read().strip() != "sshd":
    pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
os.kill(pid, signal.SIGKILL)
"""


def connection(executor: SshExecutor, box: Sandbox, name: str) -> tuple[str, int, str, int]:
    """(client address, client port, server address, server port) of the host's session."""
    client, client_port, server, server_port = executor.run(
        sandbox_host(box, name), SSH_CONNECTION).stdout.split()
    return client, int(client_port), server, int(server_port)


def processes_with_argv(argv: list[str]) -> list[int]:
    """Pids of this machine's processes running exactly argv (the sandbox hosts are local)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if (proc / "cmdline").read_bytes().split(b"\0")[:-1] == [
                        a.encode() for a in argv]:
                    found.append(int(proc.name))
    return found


def test_a_command_for_node2_runs_on_node2s_address(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    node2 = sandbox.layout().host("node2")
    _, _, server, port = connection(executor, sandbox, "node2")
    assert (server, port) == (node2.address, node2.ssh_port)
    _, _, server, _ = connection(executor, sandbox, "node0")
    assert server == sandbox.layout().host("node0").address


def test_commands_to_one_host_reuse_one_connection(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    first = connection(executor, sandbox, "node2")
    assert connection(executor, sandbox, "node2") == first  # same client port: same TCP link
    executor.disconnect(sandbox_host(sandbox, "node2"))
    assert connection(executor, sandbox, "node2")[1] != first[1]


def test_concurrent_commands_share_the_connection_beyond_sshds_session_limit(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    host = sandbox_host(sandbox, "node2")
    argv = ["sh", "-c", "sleep 0.3; echo $SSH_CONNECTION"]
    with ThreadPoolExecutor(max_workers=12) as pool:
        # 12 at once: more than OpenSSH's default MaxSessions of 10 per connection.
        outputs = list(pool.map(lambda _: executor.run(host, argv).stdout, range(12)))
    assert len(set(outputs)) == 1


def test_a_dropped_connection_is_replaced_on_the_next_command(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    host = sandbox_host(sandbox, "node2")
    before = connection(executor, sandbox, "node2")
    with contextlib.suppress(SshConnectError, CommandFailed):
        executor.run(host, ["python3", "-c", KILL_MY_SSHD])
    time.sleep(0.2)
    after = connection(executor, sandbox, "node2")
    assert after[1] != before[1]
    assert after[2:] == before[2:]


def test_a_hanging_command_times_out_and_is_stopped_on_the_host(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    host = sandbox_host(sandbox, "node2")
    argv = ["sleep", "30.417"]  # an argv no other process on this machine has
    started = time.monotonic()
    with pytest.raises(CommandTimedOut) as caught:
        executor.run(host, argv, timeout=1)
    assert 1 <= time.monotonic() - started < 3
    assert (caught.value.host, caught.value.argv) == ("node2", tuple(argv))
    poll(lambda: processes_with_argv(argv) == [], timeout=10, interval=0.2,
         what=lambda _: f"no process running {argv}: {processes_with_argv(argv)}")
    assert executor.run(host, ["echo", "still usable"]).stdout == "still usable\n"


def test_non_zero_exit_error_carries_the_stderr_of_the_host(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    host = sandbox_host(sandbox, "node1")
    with pytest.raises(CommandFailed) as caught:
        executor.run(host, ["ls", "/no/such/path/on/node1"])
    assert caught.value.exit_status == 2
    assert "/no/such/path/on/node1" in caught.value.stderr
    assert "No such file or directory" in str(caught.value)


def test_shell_syntax_in_words_is_never_executed(
    sandbox: Sandbox, executor: SshExecutor, tmp_path: Path
) -> None:
    host = sandbox_host(sandbox, "node2")
    marker = tmp_path / "pwned"
    words = [f"/dev/sdb; touch {marker}", f"$(touch {marker})", f"`touch {marker}`",
             f"x\ntouch {marker}", f"'; touch {marker}; '", f'"; touch {marker}; "',
             f"a && touch {marker}", f"a | touch {marker}", f"> {marker}", "$(id)"]
    for word in words:
        for argv in (["python3", "-c", "import sys; print(repr(sys.argv[1:]))", word],
                     ["/usr/bin/printf", "%s", word]):
            result = executor.run(host, argv)
            expected = repr([word]) + "\n" if argv[0] == "python3" else word
            assert result.stdout == expected
    assert not marker.exists()


def test_nothing_listening_gives_a_connect_error_at_once(
    sandbox: Sandbox, executor: SshExecutor
) -> None:
    host = sandbox_host(sandbox, "spare-3.dc1", address=unused_address(sandbox))
    started = time.monotonic()
    with pytest.raises(SshConnectError) as caught:
        executor.run(host, ["true"])
    assert time.monotonic() - started < 2
    assert caught.value.host == "spare-3.dc1"
    assert f"{unused_address(sandbox)}:2222" in str(caught.value)


def test_a_server_that_never_answers_fails_after_the_connect_timeout(sandbox: Sandbox) -> None:
    silent = socket.socket()
    silent.bind((unused_address(sandbox), 0))
    silent.listen(1)  # the kernel completes the TCP handshake; no SSH banner ever comes
    try:
        host = sandbox_host(sandbox, "spare-3.dc1", address=unused_address(sandbox),
                            port=silent.getsockname()[1])
        started = time.monotonic()
        with SshExecutor(connect_timeout=1) as executor, pytest.raises(SshConnectError):
            executor.run(host, ["true"])
        assert 1 <= time.monotonic() - started < 4
    finally:
        silent.close()


def test_an_encrypted_key_works_with_its_passphrase_which_never_shows(
    sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    passphrase = "correct-horse-battery-staple"
    key = tmp_path / "id_encrypted"
    key.write_bytes(sandbox.layout().ssh_key_path.read_bytes())
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-f", str(key), "-P", "", "-N", passphrase],
                   check=True)
    host = sandbox_host(sandbox, "node2", key_path=key)
    caplog.set_level(logging.DEBUG)
    with SshExecutor(key_passphrases={key: Secret(passphrase)}) as executor:
        assert executor.run(host, ["echo", "in"]).stdout == "in\n"
        assert passphrase not in repr(executor)
    errors = []
    for passphrases in ({}, {key: Secret("wrong-" + passphrase)}):
        with SshExecutor(key_passphrases=passphrases) as executor:
            with pytest.raises(SshConnectError) as caught:
                executor.run(host, ["echo", "in"])
            errors.append(caught.value)
    assert "encrypted" in str(errors[0])
    for error in errors:
        assert passphrase not in str(error)
        assert passphrase not in repr(error.__cause__)
    assert passphrase not in caplog.text
    assert "running on node2" in caplog.text  # commands are logged, at debug


def test_json_output_comes_back_intact(sandbox: Sandbox, executor: SshExecutor) -> None:
    data = {"osds": list(range(2000)), "note": "ünïcode"}
    script = f"import json; print(json.dumps({data!r}))"
    result = executor.run(sandbox_host(sandbox, "node0"), ["python3", "-c", script])
    assert json.loads(result.stdout) == data
