"""Sandbox daemons are plain processes: a dead one is named with the end of its log, and
stopping them ends them all, those that ignore SIGTERM too."""

from __future__ import annotations

from pathlib import Path

import pytest

from cephmaint.errors import DaemonFailed
from cephmaint.sandbox.procs import Daemon, pid_alive, processes_under, terminate_all
from tests.support.poll import poll


def test_a_daemon_that_dies_is_reported_with_the_end_of_its_log(tmp_path: Path) -> None:
    daemon = Daemon("boom", ["sh", "-c", "echo cannot bind 127.0.0.1:6789; exit 3"],
                    tmp_path / "run", tmp_path / "log" / "boom.log")
    daemon.start()
    poll(lambda: not daemon.running(), timeout=10, interval=0.05, what="boom to exit")
    with pytest.raises(DaemonFailed) as caught:
        daemon.check()
    assert caught.value.daemon == "boom"
    assert "cannot bind 127.0.0.1:6789" in str(caught.value)


def test_start_is_idempotent_and_stop_ends_the_process(tmp_path: Path) -> None:
    # The last argument names a path under tmp_path, as every sandbox daemon's config does.
    daemon = Daemon("sleeper", ["sh", "-c", "sleep 60; true", f"{tmp_path}/conf"], tmp_path / "run",
                    tmp_path / "log" / "sleeper.log")
    pid = daemon.start()
    assert daemon.start() == pid
    # Until the child has exec'd, its command line is still the parent's: look again.
    poll(lambda: processes_under(tmp_path) == [pid], timeout=10, interval=0.05,
         what=lambda _: f"process {pid} listed under {tmp_path}")
    daemon.stop()
    assert not daemon.running()
    assert processes_under(tmp_path) == []


def test_stopping_several_at_once_kills_those_that_ignore_sigterm(tmp_path: Path) -> None:
    daemons = [Daemon(name, ["sh", "-c", f"{trap} touch {tmp_path}/{name}; exec sleep 60"],
                      tmp_path / "run", tmp_path / "log" / f"{name}.log")
               for name, trap in (("obeys", ""), ("stubborn", "trap '' TERM;"))]
    pids = [daemon.start() for daemon in daemons]
    poll(lambda: all((tmp_path / d.name).exists() for d in daemons), timeout=10, interval=0.05,
         what="both started (an ignored signal stays ignored across exec)")
    terminate_all(pids, timeout=0.5)
    assert not any(pid_alive(pid) for pid in pids)
