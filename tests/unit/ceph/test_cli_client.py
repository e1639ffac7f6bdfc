"""The CLI client builds argv lists (no shell) and reads the CLI's exit code and stderr."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path

import pytest

from ceph_tasks.ceph.cli_client import CliClient, cli_failure, cli_words
from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.ceph.runner import LocalRunner
from ceph_tasks.errors import (
    CephBusy,
    CephCommandTimeout,
    CephConnectError,
    CephInvalidCommand,
    CephNotFound,
    CephPermissionDenied,
)


class ScriptedRunner:
    """A CommandRunner replaying scripted results and recording every argv."""

    def __init__(self, *results: tuple[int, str, str] | BaseException) -> None:
        self.results = list(results)
        self.calls: list[tuple[list[str], float]] = []

    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        self.calls.append((list(argv), timeout))
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result


def client(runner: ScriptedRunner) -> CliClient:
    return CliClient(cluster="c1", conf_path=Path("/etc/ceph/c1.conf"),
                     keyring_path=Path("/etc/ceph/c1.keyring"), client_name="client.ops",
                     connect_timeout=5, command_timeout=20, runner=runner)


def test_arguments_become_keywords_after_a_double_dash() -> None:
    words = cli_words(CephCommand("osd purge", {"id": 4, "yes_i_really_mean_it": True}))
    assert words == ["osd", "purge", "--id=4", "--yes_i_really_mean_it=true"]
    assert cli_words(CephCommand("osd ok-to-stop", {"ids": ["4", "5"], "format": "json"})) == [
        "osd", "ok-to-stop", "--ids=4", "--ids=5"]
    assert cli_words(CephCommand("osd crush reweight", {"name": "osd.4", "weight": 0.25})) == [
        "osd", "crush", "reweight", "--name=osd.4", "--weight=0.25"]


def test_argv_has_access_options_then_the_command_after_double_dash() -> None:
    runner = ScriptedRunner((0, '{"epoch": 3}', ""))
    assert client(runner).mon_command("osd crush reweight", name="osd.4", weight=0.0) == {
        "epoch": 3}
    argv, timeout = runner.calls[0]
    assert argv == ["ceph", "--conf", "/etc/ceph/c1.conf", "--keyring", "/etc/ceph/c1.keyring",
                    "--name", "client.ops", "--connect-timeout", "5", "--format", "json", "--",
                    "osd", "crush", "reweight", "--name=osd.4", "--weight=0.0"]
    assert timeout == 25


def test_hostile_values_stay_single_arguments() -> None:
    runner = ScriptedRunner((0, "", ""))
    client(runner).mon_command("osd crush rm", name="node2; rm -rf / $(id)")
    assert runner.calls[0][0][-1] == "--name=node2; rm -rf / $(id)"


def test_monitor_hosts_are_passed_when_given() -> None:
    runner = ScriptedRunner((0, "{}", ""))
    CliClient(mon_hosts=("10.0.0.1:6789", "10.0.0.2:6789"), runner=runner).mon_command("status")
    argv = runner.calls[0][0]
    assert argv[argv.index("-m") + 1] == "10.0.0.1:6789,10.0.0.2:6789"


def test_empty_string_values_are_refused_before_running() -> None:
    runner = ScriptedRunner()
    with pytest.raises(CephInvalidCommand, match="cannot pass ''"):
        client(runner).mon_command("osd crush rm", name="")
    assert runner.calls == []


@pytest.mark.parametrize(("code", "stderr", "kind"), [
    (2, "Error ENOENT: device 'osd.99' does not appear in the crush map\n", CephNotFound),
    (16, "Error EBUSY: unsafe to stop osd(s) at this time\n", CephBusy),
    (1, "Error EPERM: access denied\n", CephPermissionDenied),
    (22, "Invalid command: missing required parameter weight\nosd crush reweight <name> ...\n"
         "Error EINVAL: invalid command\n", CephInvalidCommand),
])
def test_exit_code_and_error_line_pick_the_error_type(code: int, stderr: str, kind: type) -> None:
    error = cli_failure(CephCommand("x"), code, "", stderr)
    assert type(error) is kind


def test_invalid_command_message_says_what_is_wrong() -> None:
    error = cli_failure(CephCommand("osd crush reweight"), 22, "",
                        "Invalid command: missing required parameter weight\n"
                        "osd crush reweight <name> <weight:float>\n"
                        "Error EINVAL: invalid command\n")
    assert "missing required parameter weight" in str(error)


def test_exit_one_without_an_error_line_means_the_cluster_was_not_reached() -> None:
    error = cli_failure(CephCommand("status"), 1, "", "timed out\n")
    assert isinstance(error, CephConnectError) and "timed out" in str(error)


def test_refused_ok_to_stop_keeps_its_printed_json() -> None:
    runner = ScriptedRunner((16, '{"ok_to_stop":false}', "Error EBUSY: unsafe\n"))
    with pytest.raises(CephBusy) as caught:
        client(runner).mgr_command("osd ok-to-stop", ids=["1"])
    assert caught.value.output == '{"ok_to_stop":false}' and caught.value.message == "unsafe"


def test_start_up_race_of_the_cli_is_retried() -> None:
    race = (1, "", "Error EPERM: problem getting command descriptions from mon.\n")
    runner = ScriptedRunner(race, (0, '{"ok": 1}', ""))
    assert client(runner).mon_command("status") == {"ok": 1}
    assert len(runner.calls) == 2


def test_start_up_race_that_persists_is_reported() -> None:
    race = (1, "", "Error EPERM: problem getting command descriptions from mon.\n")
    runner = ScriptedRunner(race, race, race)
    with pytest.raises(CephPermissionDenied):
        client(runner).mon_command("status")


def test_runner_timeout_is_a_command_timeout() -> None:
    runner = ScriptedRunner(TimeoutError("too slow"))
    with pytest.raises(CephCommandTimeout, match="within 25 s") as caught:
        client(runner).mon_command("status")
    assert caught.value.code == errno.ETIMEDOUT and isinstance(caught.value.__cause__,
                                                               TimeoutError)


def test_missing_program_is_a_connect_error() -> None:
    with pytest.raises(CephConnectError, match="cannot run"):
        CliClient(program="/nonexistent/ceph").mon_command("status")


def test_local_runner_returns_exit_status_and_output_and_times_out() -> None:
    runner = LocalRunner()
    assert runner.run(["sh", "-c", "echo out; echo err >&2; exit 3"], 10) == (3, "out\n",
                                                                              "err\n")
    with pytest.raises(TimeoutError):
        runner.run(["sleep", "5"], 0.2)
