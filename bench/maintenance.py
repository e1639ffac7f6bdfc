"""Replacing a host three ways on the same sandbox: how much data each moves, and how.

For each topology (default, racks) and each strategy, a fresh sandbox of that topology
(the same cluster and the same data: the sandbox starts from its snapshot) and a worker:

- weight-0-at-once, what `ceph orch osd rm` does: the old host's OSDs to CRUSH weight 0 in
  one go, removed once Ceph says they are safe to destroy, then the new host's OSDs
  created at their full weight in one go (done here with plain Ceph commands and the
  sandbox's hostctl);
- drain-fill, `cephmaint run replace OLD --new-host NEW --strategy drain-fill`;
- move-once, the same with `--strategy move-once`;
the technicians' confirmation given as soon as it is asked for. A sampler reads `status`
and `pg dump pgs_brief` every second meanwhile. Once the replace has ended, the balancer
is on (as it was before) and the bench waits until it has gone idle and every PG is clean
before the last reading: pins the balancer releases move data too, and are counted.

Columns: object copies recovered (the sum of every PG's stat_sum.num_objects_recovered,
before and after) per object copy the old host held; wall time of the replace; peak
degraded and misplaced objects; peak PGs backfilling at once; the fewest live copies any
PG had in a sample (acting members that are up), against the pool's size; upmap items left.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.host_work import _terminate, cephmaint, copies, reference_of
from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.errors import CephError
from ceph_tasks.settings import Settings
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import load_topology
from dyrygent.states import NodeState
from inventory import load_inventory
from workflows.engine import processor_of, worker_app

#: topology -> (the host replaced, the new host); both in the same failure domain.
REPLACED = {"default": ("node2", "spare-3.dc1"), "racks": ("d1", "spare-d2.dc1")}
STRATEGIES = ("weight-0-at-once", "drain-fill", "move-once")


@dataclass
class Peaks:
    """The worst of every sample taken while a replace ran."""

    degraded: int = 0
    misplaced: int = 0
    backfilling: int = 0
    #: The fewest live copies of any PG, and that PG's pool size.
    live: tuple[int, int] | None = None
    samples: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """One replace as measured."""

    topology: str
    strategy: str
    held: int
    recovered: int
    wall_s: float
    peaks: Peaks
    pins_left: int


def sample(conf: Path, peaks: Peaks, stop: threading.Event) -> None:
    """Read status and the PG map every second until stop; keep the worst values."""
    client = RadosClient.connect(conf_path=conf)
    try:
        ceph = Ceph(client)
        sizes = {p.pool_id: p.size for p in ceph.pool_ls_detail()}
        while not stop.wait(1.0):
            try:
                pgmap = ceph.status().pgmap
                pgs = ceph.pg_dump_brief()
                tree = ceph.osd_tree()
                up = {n.id for n in tree.osds() if n.up}
            except CephError as e:  # a busy monitor: the next sample counts
                peaks.errors.append(str(e))
                continue
            peaks.samples += 1
            peaks.degraded = max(peaks.degraded, pgmap.degraded_objects)
            peaks.misplaced = max(peaks.misplaced, pgmap.misplaced_objects)
            peaks.backfilling = max(peaks.backfilling, sum(
                1 for pg in pgs.pg_stats if "backfilling" in pg.state.split("+")))
            for pg in pgs.pg_stats:
                live = len([o for o in pg.acting if o in up])
                if peaks.live is None or live < peaks.live[0]:
                    peaks.live = (live, sizes.get(pg.pool_id, 0))
    finally:
        client.close()


@contextmanager
def sandbox_with_worker(topology: str) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A sandbox of the topology and a cephmaint worker on it; both gone on exit."""
    home = Path(tempfile.mkdtemp(prefix="cephmaint-bench-"))
    box = Sandbox(home / "sbx")
    worker = None
    try:
        box.up(timeout=300, topology=load_topology(topology))
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


def with_cephmaint(env: dict[str, str], old: str, new: str, strategy: str,
                   timeout: float) -> None:
    """`run replace OLD --new-host NEW --strategy S`, confirmed once asked, to its end."""
    reference = reference_of(cephmaint(env, "run", "replace", old, "--new-host", new,
                                       "--strategy", strategy))
    settings = Settings(broker_url=env["CEPHMAINT_BROKER_URL"],
                        redis_url=env["CEPHMAINT_REDIS_URL"])
    handle = processor_of(worker_app(settings, name="bench-client")).handle(reference)
    gate = next(s.id for s in handle.specs() if s.id.startswith("confirm-"))
    give_up = time.monotonic() + timeout
    while handle.node(gate)["state"] != NodeState.RUNNING:
        if time.monotonic() > give_up or handle.status().state.finished:
            raise SystemExit(f"replace {reference}: no confirmation asked for: "
                             f"{handle.status().to_dict()}")
        time.sleep(1)
    cephmaint(env, "confirm", reference, "--by", "bench")
    status = cephmaint(env, "status", reference, "--follow", timeout=timeout)
    if "SUCCESS" not in status:
        raise SystemExit(f"replace {reference} did not succeed:\n{status}")


def at_once(box: Sandbox, old: str, new: str, timeout: float) -> None:
    """The old host's OSDs to weight 0 at once, purged when safe, the new ones at full weight."""
    layout = box.layout()
    client = RadosClient.connect(conf_path=layout.conf_path)
    try:
        ceph = Ceph(client)
        osds = sorted(ceph.osd_tree().hosts()[old])
        weight = max(ceph.osd_tree().crush_weights(frozenset(osds)).values())
        for osd in osds:
            client.mon_command("osd crush reweight", name=f"osd.{osd}", weight=0.0)
        wait(lambda: ceph.safe_to_destroy(osds).all_safe(osds), timeout, "safe to destroy")
        for osd in osds:
            hostctl(layout.root, old, "stop-osd", str(osd))
        wait(lambda: not {n.id for n in ceph.osd_tree().osds() if n.up} & set(osds), timeout,
             "the stopped OSDs down")
        for osd in osds:
            # A manager command: sent to the monitors, Pacific answers EINVAL.
            client.mgr_command("osd purge", id=osd, yes_i_really_mean_it=True)
        client.mon_command("osd crush rm", name=old)
        devices = [d.path for d in load_inventory(layout.inventory_path).clusters[0].host(new)
                   .devices]
        for device in devices:
            hostctl(layout.root, new, "create-osd", device, "--weight", f"{weight:g}")
        wait(lambda: ceph.status().health.ok, timeout, "HEALTH_OK")
    finally:
        client.close()


def hostctl(root: Path, host: str, *words: str) -> None:
    """Run a sandbox host action."""
    subprocess.run([sys.executable, "-m", "cephmaint.sandbox.hostctl", "--root", str(root),
                    "--host", host, *words], check=True, timeout=120, capture_output=True)


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll condition every second until true; SystemExit past timeout."""
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise SystemExit(f"no {what} within {timeout:g} s")
        time.sleep(1)


def balancer_idle(box: Sandbox, timeout: float) -> int:
    """Balancer on, wait until it finds nothing to do and every PG is clean; upmaps left."""
    client = RadosClient.connect(conf_path=box.layout().conf_path)
    try:
        ceph = Ceph(client)
        client.mgr_command("balancer on")
        quiet = 0
        give_up = time.monotonic() + timeout
        while quiet < 5 and time.monotonic() < give_up:
            result = str(client.mgr_command("balancer status", format="json")
                         .get("optimize_result", ""))
            clean = all(pg.state == "active+clean" and pg.up == pg.acting
                        for pg in ceph.pg_dump_brief().pg_stats)
            quiet = quiet + 1 if clean and "Unable to find further optimization" in result \
                else 0
            time.sleep(2)
        return len(ceph.osd_dump().upmaps)
    finally:
        client.close()


def run_one(topology: str, strategy: str, timeout: float) -> Outcome:
    """One replace on a fresh sandbox of the topology."""
    old, new = REPLACED[topology]
    with sandbox_with_worker(topology) as (box, env):
        objects = box.verify()
        before, held = copies(box, old)
        peaks, stop = Peaks(), threading.Event()
        sampler = threading.Thread(target=sample, args=(box.layout().conf_path, peaks, stop))
        sampler.start()
        started = time.monotonic()
        try:
            if strategy == "weight-0-at-once":
                at_once(box, old, new, timeout)
            else:
                with_cephmaint(env, old, new, strategy, timeout)
            wall = time.monotonic() - started
        finally:
            stop.set()
            sampler.join()
        pins = balancer_idle(box, timeout)
        after, _ = copies(box, old)
        if box.verify() != objects:
            raise SystemExit(f"{topology} {strategy}: objects lost")
    return Outcome(topology, strategy, held, after - before, round(wall, 1), peaks, pins)


def table(outcomes: list[Outcome]) -> str:
    """The figures as one Markdown table."""
    rows = ["| topology | strategy | copies moved per copy held | copies moved / held | "
            "wall time | peak degraded | peak misplaced | peak PGs backfilling | "
            "fewest live copies (size) | upmap items left |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        live = f"{o.peaks.live[0]} ({o.peaks.live[1]})" if o.peaks.live else "-"
        rows.append(f"| {o.topology} | {o.strategy} | {o.recovered / o.held:.2f} | "
                    f"{o.recovered} / {o.held} | {o.wall_s:.0f} s | {o.peaks.degraded} | "
                    f"{o.peaks.misplaced} | {o.peaks.backfilling} | {live} | {o.pins_left} |")
    return "\n".join(rows)


def main() -> int:
    """Every strategy on every topology asked for; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.maintenance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topology", action="append", choices=sorted(REPLACED))
    parser.add_argument("--strategy", action="append", choices=STRATEGIES)
    parser.add_argument("--runs", type=int, default=1, help="runs of each (spread shown)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for one wait")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    outcomes = []
    for topology in args.topology or sorted(REPLACED):
        for strategy in args.strategy or STRATEGIES:
            for _ in range(args.runs):
                outcome = run_one(topology, strategy, args.timeout)
                print(table([outcome]).splitlines()[-1], flush=True)
                outcomes.append(outcome)
    print()
    print(table(outcomes))
    print(f"\n{args.runs} run(s) of each; runtime {time.monotonic() - started:.0f} s, "
          "sandboxes included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
