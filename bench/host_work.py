"""A host's work without a drain next to a replacement of the same host, on a sandbox.

Both run through the command line as an operator runs them, on one default sandbox, with a
worker started by `cephmaint worker`: first `run maintenance HOST --reboot`, then
`run replace HOST` (the technicians' confirmation given once it is asked for; the zapped
devices take the new OSDs). For each: the wall time from `run` to the end, and the object
copies recovered meanwhile (the sum of every PG's stat_sum.num_objects_recovered, read
before and after), next to the copies the host held.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.settings import Settings
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import Topology
from dyrygent.states import NodeState
from workflows.engine import processor_of, worker_app


@dataclass(frozen=True)
class Outcome:
    """One maintenance as measured."""

    kind: str
    wall_s: float
    recovered: int
    held: int


@contextmanager
def sandbox_with_worker(topology: Topology | None = None,
                        prepare: Callable[[Sandbox], None] | None = None
                        ) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A sandbox (default topology) and a cephmaint worker on it; both gone on exit.

    prepare runs once the sandbox is up, before the worker starts (an inventory change).
    """
    home = Path(tempfile.mkdtemp(prefix="cephmaint-bench-"))
    box = Sandbox(home / "sbx")
    worker = None
    try:
        box.up(timeout=300, topology=topology)
        if prepare is not None:
            prepare(box)
        layout = box.layout()
        env = {**os.environ, "CEPHMAINT_BROKER_URL": layout.redis_url,
               "CEPHMAINT_REDIS_URL": layout.redis_url,
               "CEPHMAINT_INVENTORY": str(layout.inventory_path)}
        worker = subprocess.Popen([sys.executable, "-m", "cephmaint.cli", "worker", "-c", "2",
                                   "-l", "warning"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        yield box, env
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        box.down()
        shutil.rmtree(home, ignore_errors=True)


def copies(box: Sandbox, host: str, settle: float = 3.0) -> tuple[int, int]:
    """Objects recovered by every PG so far, and the object copies host's OSDs hold.

    Read until two readings settle seconds apart agree: the manager's PG statistics trail
    the OSDs (right after the sandbox's data is written, they counted a third of it).
    """
    client = RadosClient.connect(conf_path=box.layout().conf_path)
    try:
        ceph = Ceph(client)
        last = None
        while True:
            pgs = ceph.pg_objects()
            now = (pgs.recovered(),
                   pgs.copies_on(ceph.osd_tree().hosts().get(host, frozenset())))
            if now == last:
                return now
            last = now
            time.sleep(settle)
    finally:
        client.close()


def cephmaint(env: dict[str, str], *words: str, timeout: float = 1800) -> str:
    """Run the command line; its output, or SystemExit with it on failure."""
    done = subprocess.run([sys.executable, "-m", "cephmaint.cli", *words], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cephmaint {' '.join(words)} failed ({done.returncode}):\n"
                         f"{done.stdout}\n{done.stderr}")
    return done.stdout


def reference_of(output: str) -> str:
    """The workflow id `run` printed."""
    return output.split("started workflow ", 1)[1].split(";", 1)[0].strip()


def measure(box: Sandbox, env: dict[str, str], kind: str, host: str,
            run: Callable[[], None]) -> Outcome:
    """Wall time and recovered copies of one maintenance run by run()."""
    before, held = copies(box, host)
    started = time.monotonic()
    run()
    wall = time.monotonic() - started
    after, _ = copies(box, host)
    return Outcome(kind, round(wall, 1), after - before, held)


def replace_as_operator(env: dict[str, str], host: str, timeout: float) -> None:
    """`run replace HOST`, confirmed as the technician once asked, followed to its end."""
    reference = reference_of(cephmaint(env, "run", "replace", host))
    settings = Settings(broker_url=env["CEPHMAINT_BROKER_URL"],
                        redis_url=env["CEPHMAINT_REDIS_URL"])
    handle = processor_of(worker_app(settings, name="bench-client")).handle(reference)
    give_up = time.monotonic() + timeout
    while handle.node(f"confirm-{host}")["state"] != NodeState.RUNNING:
        if time.monotonic() > give_up or handle.status().state.finished:
            raise SystemExit(f"replace {reference}: no confirmation asked for: "
                             f"{handle.status().to_dict()}")
        time.sleep(1)
    cephmaint(env, "confirm", reference, "--by", "bench")
    status = cephmaint(env, "status", reference, "--follow")
    if "SUCCESS" not in status:
        raise SystemExit(f"replace {reference} did not succeed:\n{status}")


def table(outcomes: list[Outcome]) -> str:
    """The figures as a Markdown table."""
    rows = ["| maintenance | wall time | object copies recovered | copies the host held "
            "| recovered per copy held |", "|---|---|---|---|---|"]
    for o in outcomes:
        share = f"{o.recovered / o.held:.2f}" if o.held else "-"
        rows.append(f"| {o.kind} | {o.wall_s:.0f} s | {o.recovered} | {o.held} | {share} |")
    return "\n".join(rows)


def terminate(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler that unwinds as Ctrl-C does."""
    raise KeyboardInterrupt  # unwinds like Ctrl-C: the sandbox is taken down


def main() -> int:
    """Run both maintenances of one host; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.host_work", description=__doc__)
    parser.add_argument("--host", default="node2", help="the host to work on, then replace")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for one wait")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    with sandbox_with_worker() as (box, env):
        reboot = ["run", "maintenance", args.host, "--reboot", "--reason", "bench", "--follow"]
        outcomes = [
            measure(box, env, "maintenance --reboot (no drain)", args.host,
                    lambda: print(cephmaint(env, *reboot).splitlines()[-1], flush=True)),
            measure(box, env, "replace in place (drain, swap, fill)", args.host,
                    lambda: replace_as_operator(env, args.host, args.timeout)),
        ]
        if box.verify() != 400:
            raise SystemExit("objects lost: the sandbox's verify disagrees")
    print(table(outcomes))
    print(f"\nruntime {time.monotonic() - started:.0f} s, sandbox included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
