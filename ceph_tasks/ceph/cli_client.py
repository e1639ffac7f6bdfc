"""The Ceph client over the `ceph` CLI, run locally or on an admin host through a runner."""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.command import CephCommand, command_error, parse_output
from ceph_tasks.ceph.runner import CommandRunner, LocalRunner
from ceph_tasks.errors import (
    CephCommandTimeout,
    CephConnectError,
    CephError,
    CephInvalidCommand,
)
from inventory.models import Cluster

#: "Error EBUSY: unsafe to stop osd(s) ..." : the CLI's report of a refused command.
_ERROR_LINE = re.compile(r"^Error (E[A-Z0-9]+): ?(.*)$", re.MULTILINE)
_DETAIL_LINE = re.compile(r"^(Invalid command: .*|no valid command found.*)$", re.MULTILINE)
#: The CLI asked for command descriptions before the monmap arrived (zero fsid): a race of
#: the CLI's own start-up, not a refusal of the command, so worth another attempt.
_STARTUP_RACE = "problem getting command descriptions"
_STARTUP_ATTEMPTS = 3


def cli_words(command: CephCommand) -> list[str]:
    """The CLI words for a command: prefix words, then one --name=value per argument value.

    Keyword form keeps the words independent of each command's argument order; the caller
    puts them after "--" so that names such as --name or --key are not read as CLI options.
    """
    words = command.prefix.split()
    for name, value in command.args.items():
        if name == "format":
            continue  # the CLI's own --format sets it
        for item in value if isinstance(value, list | tuple) else [value]:
            words.append(f"--{name}={_cli_value(command, name, item)}")
    return words


def _cli_value(command: CephCommand, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str) and value:
        return value
    # "--name=" with nothing after it is not a keyword argument to the CLI's parser.
    raise CephInvalidCommand(command.describe(), errno.EINVAL,
                             f"{name}: the CLI cannot pass {value!r}")


def cli_failure(command: CephCommand, code: int, stdout: str, stderr: str,
                cluster: str = "the cluster") -> CephError:
    """The error for a CLI run that exited with a non-zero code (pure)."""
    found = _ERROR_LINE.findall(stderr)
    if found:
        # The CLI exits with the errno, but also exits 1 for its own failures; the
        # "Error EXXX:" line is the cluster's answer and names the errno unambiguously.
        name, message = found[-1]
        # For EINVAL the CLI's own validation says what is wrong on an earlier line.
        detail = _DETAIL_LINE.search(stderr)
        if detail:
            message = f"{message}: {detail.group(0).strip()}"
        number = getattr(errno, name, code)
        return command_error(command, number, message, stdout)
    message = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit status {code}"
    if code == 1:
        # No "Error" line: the CLI never got an answer (no monitor, bad conf, bad keyring).
        return CephConnectError(f"cannot connect to {cluster} (ceph {command.describe()}): "
                                f"{message}")
    return command_error(command, code, message, stdout)


class CliClient:
    """A CephClient that runs `ceph ... --format json` through a CommandRunner."""

    def __init__(
        self,
        *,
        cluster: str = "ceph",
        conf_path: Path | None = None,
        keyring_path: Path | None = None,
        mon_hosts: Sequence[str] = (),
        client_name: str = "client.admin",
        connect_timeout: float = 10,
        command_timeout: float = 30,
        runner: CommandRunner | None = None,
        program: str = "ceph",
    ) -> None:
        self.cluster = cluster
        self.runner: CommandRunner = runner or LocalRunner()
        self.connect_timeout = connect_timeout
        # The CLI takes whole seconds; 0 would mean no timeout at all.
        self._connect_seconds = str(max(1, round(connect_timeout)))
        self.command_timeout = command_timeout
        base = [program]
        # Without a conf the CLI would read /etc/ceph/ceph.conf, possibly another cluster's:
        # monitor addresses alone must be enough, as they are for the librados client.
        base += ["--conf", str(conf_path) if conf_path is not None else "/dev/null"]
        if keyring_path is not None:
            base += ["--keyring", str(keyring_path)]
        if mon_hosts:
            base += ["-m", ",".join(mon_hosts)]
        base += ["--name", client_name,
                 "--connect-timeout", self._connect_seconds, "--format", "json"]
        self.base_argv: tuple[str, ...] = tuple(base)

    @classmethod
    def for_cluster(cls, cluster: Cluster, *, runner: CommandRunner | None = None,
                    connect_timeout: float = 10, command_timeout: float = 30) -> CliClient:
        """A client for an inventory cluster through its access settings."""
        access = cluster.access
        return cls(cluster=cluster.name, conf_path=access.conf_path,
                   keyring_path=access.keyring_path, mon_hosts=access.mon_hosts,
                   client_name=access.client_name, connect_timeout=connect_timeout,
                   command_timeout=command_timeout, runner=runner)

    def argv(self, command: CephCommand) -> list[str]:
        """The full argv that runs command."""
        return [*self.base_argv, "--", *cli_words(command)]

    def mon_command(self, prefix: str, **args: Any) -> Any:
        """Run a command; the CLI sends it to the monitor or the manager as it describes."""
        return self._run(CephCommand(prefix, args))

    def mgr_command(self, prefix: str, **args: Any) -> Any:
        """Run a manager command (the CLI routes it by the cluster's own descriptions)."""
        return self._run(CephCommand(prefix, args))

    def _run(self, command: CephCommand) -> Any:
        argv = self.argv(command)
        # The whole run includes connecting, so its deadline covers both timeouts.
        deadline = self.connect_timeout + self.command_timeout
        attempt = 1
        while True:
            try:
                code, out, err = self.runner.run(argv, deadline)
            except TimeoutError as e:
                raise CephCommandTimeout(
                    command.describe(), errno.ETIMEDOUT,
                    f"no answer from cluster {self.cluster} within {deadline:g} s",
                ) from e
            except OSError as e:
                raise CephConnectError(f"cannot run {argv[0]}: {e}") from e
            if code == 0:
                return parse_output(command, out)
            if _STARTUP_RACE not in err or attempt >= _STARTUP_ATTEMPTS:
                error = cli_failure(command, code, out, err, f"cluster {self.cluster}")
                if isinstance(error, CephConnectError) and err.strip().endswith("timed out"):
                    # Say it as the librados client does; the CLI prints a bare "timed out".
                    raise CephConnectError(
                        f"cannot connect to cluster {self.cluster}: no monitor answered "
                        f"within {self._connect_seconds} s") from error
                raise error
            attempt += 1
            time.sleep(0.2)

    def close(self) -> None:
        """Nothing to release: every command is its own process."""
