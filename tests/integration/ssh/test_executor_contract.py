"""One contract for every RemoteExecutor: the SSH executor on sandbox hosts, and the fake."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ceph_tasks.errors import CommandFailed, CommandTimedOut, SshConnectError
from ceph_tasks.remote.executor import HostRunner, RemoteExecutor
from ceph_tasks.remote.ssh import SshExecutor
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Host
from tests.integration.ssh.conftest import sandbox_host, unused_address

pytestmark = pytest.mark.integration

PRINT_ARGV = "import json, sys; print(json.dumps(sys.argv[1:]))"
HOSTILE_WORDS = ["/dev/sdb; echo pwned", "$(echo pwned)", "`echo pwned`", "a\nb", "it's",
                 '"q"', "", "*", "~", "$HOME", "x y", "\\", "-n", "\t", "é"]


@dataclass
class Kit:
    """An executor, a host it reaches, one it cannot, and how to script the fake."""

    executor: RemoteExecutor
    host: Host
    dead_host: Host
    #: Tell the fake what a command does; a no-op for the real executor, which just runs it.
    script: Callable[..., None]


@pytest.fixture(params=["ssh", "fake"])
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    """The executor under contract, with its hosts."""
    if request.param == "ssh":
        box = request.getfixturevalue("sandbox")
        with SshExecutor(connect_timeout=5, command_timeout=60) as ssh:
            yield Kit(ssh, sandbox_host(box, "node2"),
                      sandbox_host(box, "spare-3.dc1", address=unused_address(box)),
                      lambda *args, **kwargs: None)
    else:
        fake = FakeExecutor()
        host = _fake_host("node2")
        dead = _fake_host("spare-3.dc1")
        fake.make_unreachable(dead.name)

        def script(argv: list[str], **reply: Any) -> None:
            fake.reply(argv, host=host.name, **reply)

        yield Kit(fake, host, dead, script)


def _fake_host(name: str) -> Host:
    return Host.model_validate({
        "name": name, "datacenter": "SBX1", "room": "lab", "rack": "R1",
        "ssh": {"address": "192.0.2.10", "port": 2222},
        "daemon_control": {"kind": "systemd"},
    })


def test_stdout_stderr_and_exit_status_are_captured(kit: Kit) -> None:
    argv = ["sh", "-c", "echo out; echo err >&2"]
    kit.script(argv, stdout="out\n", stderr="err\n")
    result = kit.executor.run(kit.host, argv)
    assert (result.exit_status, result.stdout, result.stderr) == (0, "out\n", "err\n")
    assert (result.host, result.argv) == (kit.host.name, tuple(argv))


def test_non_zero_exit_raises_with_command_host_status_and_stderr(kit: Kit) -> None:
    argv = ["sh", "-c", "echo half done; echo no such OSD >&2; exit 3"]
    kit.script(argv, exit_status=3, stdout="half done\n", stderr="no such OSD\n")
    with pytest.raises(CommandFailed) as caught:
        kit.executor.run(kit.host, argv)
    error = caught.value
    assert (error.host, error.argv, error.exit_status) == (kit.host.name, tuple(argv), 3)
    assert (error.stdout, error.stderr) == ("half done\n", "no such OSD\n")
    assert "exited with status 3" in str(error)
    assert "no such OSD" in str(error)
    assert kit.host.name in str(error)


def test_check_false_returns_a_failed_result_instead_of_raising(kit: Kit) -> None:
    argv = ["sh", "-c", "echo busy >&2; exit 16"]
    kit.script(argv, exit_status=16, stderr="busy\n")
    result = kit.executor.run(kit.host, argv, check=False)
    assert (result.ok, result.exit_status, result.stderr) == (False, 16, "busy\n")


def test_a_command_past_its_timeout_raises_a_timeout_error(kit: Kit) -> None:
    argv = ["sleep", "30"]
    kit.script(argv, duration=30)
    with pytest.raises(CommandTimedOut) as caught:
        kit.executor.run(kit.host, argv, timeout=1)
    assert (caught.value.host, caught.value.argv, caught.value.timeout) == (
        kit.host.name, ("sleep", "30"), 1)
    assert "timeout of 1 s" in str(caught.value)


def test_every_word_arrives_as_exactly_one_argument(kit: Kit) -> None:
    argv = ["python3", "-c", PRINT_ARGV, *HOSTILE_WORDS]
    kit.script(argv, stdout=json.dumps(HOSTILE_WORDS) + "\n")
    result = kit.executor.run(kit.host, argv)
    assert json.loads(result.stdout) == HOSTILE_WORDS


def test_a_shell_string_instead_of_argv_is_refused(kit: Kit) -> None:
    with pytest.raises(TypeError, match="not a string"):
        kit.executor.run(kit.host, "rm -rf /tmp/x")
    with pytest.raises(ValueError, match="NUL"):
        kit.executor.run(kit.host, ["echo", "a\x00b"])
    with pytest.raises(ValueError, match="program"):
        kit.executor.run(kit.host, [])


def test_an_unreachable_host_raises_a_connect_error_naming_it(kit: Kit) -> None:
    with pytest.raises(SshConnectError) as caught:
        kit.executor.run(kit.dead_host, ["true"])
    assert caught.value.host == kit.dead_host.name
    assert kit.dead_host.ssh.address in str(caught.value)


def test_a_host_runner_runs_on_its_host_with_the_same_results(kit: Kit) -> None:
    runner = HostRunner(kit.executor, kit.host)
    kit.script(["sh", "-c", "exit 5"], exit_status=5)
    kit.script(["echo", "hi"], stdout="hi\n")
    assert runner.run(["echo", "hi"], 10).stdout == "hi\n"
    assert runner.run(["sh", "-c", "exit 5"], 10, check=False).exit_status == 5
    with pytest.raises(CommandFailed):
        runner.run(["sh", "-c", "exit 5"], 10)


def test_an_unknown_program_exits_127(kit: Kit) -> None:
    result = kit.executor.run(kit.host, ["no-such-program-xyz"], check=False)
    assert result.exit_status == 127
    assert "no-such-program-xyz" in result.stderr
