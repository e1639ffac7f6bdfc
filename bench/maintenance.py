"""Replacing a host three ways on the same sandbox: how much data each moves, and how.

For each case (the default topology with a spare like the old host, the default topology
with its bigger spare, the racks and the mixed topologies) and each strategy, a fresh
sandbox of that topology (the same cluster and the same data: the sandbox starts from its
snapshot) and a worker:

- weight-0-at-once, what cephadm does: the new host's OSDs created at their full weight,
  then the old host's to CRUSH weight 0 in one go (`ceph orch osd rm`), purged once Ceph
  says they are safe to destroy (done here with plain Ceph commands and the sandbox's
  hostctl);
- drain-fill, `cephmaint run replace OLD --new-host NEW --strategy drain-fill`;
- move-once, the same with `--strategy move-once`;
the technicians' confirmation given as soon as it is asked for. A sampler reads `status`
and `pg dump pgs_brief` every second meanwhile. Once the replace has ended, the balancer
is on (as it was before) and the bench waits until it has gone idle and every PG is clean
before the last reading: pins the balancer releases move data too, and are counted.

Columns: object copies recovered (the sum of every PG's stat_sum.num_objects_recovered,
before and after) per object copy the old host held; object copies relocated (each PG's
acting set when clean against its last clean one, times its objects: see Relocations, the
counters undercount); the part of each moved by the balancer once back on; wall time of
the replace; peak
degraded and misplaced objects; peak PGs backfilling at once; the live copies (acting
members that are up) of the PG seen furthest below its pool's size, against that size;
upmap items left.
Recovery is slowed to ten objects a second per OSD for every strategy (see sample).

With --add, the new host is added instead, in steps (drain-fill) or pinned and released
(move-once), and copies moved are counted per copy the new host holds at the end. With
--decommission, a host is retired, drained in steps (drain-fill) or each copy moved once.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.host_work import cephmaint, copies, reference_of, sandbox_with_worker, terminate
from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.ceph.models import PgDump
from ceph_tasks.ceph.models.pools import ERASURE
from ceph_tasks.errors import CephError
from ceph_tasks.settings import Settings
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import load_topology
from dyrygent.states import NodeState
from inventory import load_inventory, write_inventory
from workflows.builders import new_osd_weights
from workflows.engine import processor_of, worker_app

#: case -> (topology, the host replaced, the new host, like for like); both hosts in the
#: same failure domain. Like for like: the new host gets as many OSDs as the old one had,
#: of the same weight (the default topology's spare has three disks of twice the size).
CASES = {"default": ("default", "node2", "spare-3.dc1", True),
         "default-bigger-spare": ("default", "node2", "spare-3.dc1", False),
         "racks": ("racks", "d1", "spare-d2.dc1", False),
         # Like for like: new1 is in c1's rack and gets as many disks.
         "mixed": ("mixed", "c1", "new1", False),
         # Across racks: b1's copies of the size-3 pool over three racks cannot go to new1
         # (its rack holds one already) and go to b2 instead; rack rc gains new1's weight
         # and rb loses b1's, so the balancer, back on, spreads rc's copies over c1 and new1.
         "mixed-across-racks": ("mixed", "b1", "new1", False)}
DEFAULT_CASES = ("default", "racks", "mixed")
#: case -> the host --decommission retires (racks: d1 is alone in its rack, a2 is not).
RETIRED = {"default": "node2", "default-bigger-spare": "node2", "racks": "a2", "mixed": "a3",
           "mixed-across-racks": "a3"}
STRATEGIES = ("weight-0-at-once", "drain-fill", "move-once")
#: An addition's (a decommission's): the weights raised (lowered) in steps, cephmaint's
#: drain-fill, or each copy moved once: pins released in batches (copies moved off with
#: upmap items, then the weights to 0 at once).
WEIGHT_STRATEGIES = ("drain-fill", "move-once")


@dataclass
class Relocations:
    """Object copies that ended on another OSD: each PG's acting set when clean, against its
    last clean one (EC shards by position), times its objects.

    The recovered counters undercount: a PG whose primary moves reports the new primary's
    counter, without the copies recovered onto it (seen on the sandbox: a PG of the EC pool
    whose shard 0 moved counted 0 recovered). A copy that moves twice is counted twice here
    as long as the PG is seen clean between the moves (samples every half second; recovery
    is slowed to ten objects a second).
    """

    objects: dict[str, int]
    by_position: frozenset[int]
    clean: dict[str, tuple[int, ...]] = field(default_factory=dict)
    copies: int = 0

    def see(self, pgs: PgDump) -> None:
        """Count what the PGs clean now hold elsewhere than when last seen clean."""
        for pg in pgs.pg_stats:
            if pg.state != "active+clean" or pg.up != pg.acting:
                continue
            before, self.clean[pg.pgid] = self.clean.get(pg.pgid), pg.acting
            if before is None or before == pg.acting:
                continue
            if pg.pool_id in self.by_position:
                moved = sum(1 for b, a in zip(before, pg.acting, strict=False) if b != a)
            else:
                moved = len(set(pg.acting) - set(before))
            self.copies += moved * self.objects.get(pg.pgid, 0)


@dataclass
class Peaks:
    """The worst of every sample taken while a replace ran, and the copies relocated."""

    degraded: int = 0
    misplaced: int = 0
    backfilling: int = 0
    #: The live copies and the pool size of the PG seen furthest below its size.
    live: tuple[int, int] | None = None
    samples: int = 0
    errors: list[str] = field(default_factory=list)
    relocations: Relocations | None = None


@dataclass(frozen=True)
class Outcome:
    """One replace as measured."""

    case: str
    strategy: str
    held: int
    recovered: int
    #: Recovered by the end of the maintenance, before the balancer was back on.
    by_the_end: int
    #: Copies relocated (Relocations), in all and by the end of the maintenance.
    relocated: int
    relocated_by_the_end: int
    wall_s: float
    peaks: Peaks
    pins_left: int


def sample(root: Path, peaks: Peaks, stop: threading.Event, frozen: threading.Event) -> None:
    """Read status and the PG map every half second until stop, and once more then; keep
    the worst values until frozen, count the copies relocated until the end.

    Every OSD, a new one as soon as it is up, recovers at most ten objects a second
    (osd_recovery_sleep 0.1): memstore OSDs on one machine otherwise move the sandbox's
    data between two samples of the manager's statistics.
    """
    client = RadosClient.connect(conf_path=root / "ceph.conf")
    slowed: set[int] = set()
    try:
        ceph = Ceph(client)
        pools = ceph.pool_ls_detail()
        sizes = {p.pool_id: p.size for p in pools}
        peaks.relocations = Relocations(
            {pgid: pg.objects for pgid, pg in ceph.pg_objects().pgs.items()},
            frozenset(p.pool_id for p in pools if p.type == ERASURE))
        last = False
        while not last:
            last = stop.wait(0.5)
            try:
                pgmap = ceph.status().pgmap
                pgs = ceph.pg_dump_brief()
                tree = ceph.osd_tree()
                up = {n.id for n in tree.osds() if n.up}
            except CephError as e:  # a busy monitor: the next sample counts
                peaks.errors.append(str(e))
                last = False
                continue
            peaks.relocations.see(pgs)
            for osd in sorted(up - slowed):
                slowed.add(osd)
                _tell(root, osd, "osd_recovery_sleep", "0.1")
            if frozen.is_set():
                continue
            peaks.samples += 1
            peaks.degraded = max(peaks.degraded, pgmap.degraded_objects)
            peaks.misplaced = max(peaks.misplaced, pgmap.misplaced_objects)
            peaks.backfilling = max(peaks.backfilling, sum(
                1 for pg in pgs.pg_stats if "backfilling" in pg.state.split("+")))
            for pg in pgs.pg_stats:
                # The PG furthest below its pool's size: live copies against size.
                live, size = len([o for o in pg.acting if o in up]), sizes.get(pg.pool_id, 0)
                if peaks.live is None or size - live > peaks.live[1] - peaks.live[0]:
                    peaks.live = (live, size)
    finally:
        client.close()


def _tell(root: Path, osd: int, name: str, value: str) -> None:
    """Set an option in one running OSD (`ceph tell`: above the sandbox's ceph.conf)."""
    subprocess.run(["ceph", "--conf", str(root / "ceph.conf"), "--keyring",
                    str(root / "keyring"), "--name", "client.admin", "tell", f"osd.{osd}",
                    "config", "set", name, value], check=False, capture_output=True,
                   timeout=60)


def like_for_like(box: Sandbox, old: str, new: str) -> None:
    """The inventory's new host with as many devices as old has OSDs, their sizes unknown:
    its OSDs then take the old host's weight."""
    path = box.layout().inventory_path
    inventory = load_inventory(path)
    cluster = inventory.clusters[0]
    count = len(cluster.osds_on(old))
    hosts = tuple(h.model_copy(update={"devices": tuple(
        d.model_copy(update={"size_bytes": None}) for d in h.devices[:count])})
        if h.name == new else h for h in cluster.hosts)
    write_inventory(inventory.model_copy(update={"clusters": (
        cluster.model_copy(update={"hosts": hosts}),)}), path, reveal_secrets=True)


def with_cephmaint(env: dict[str, str], words: list[str], timeout: float) -> None:
    """`run WORDS`, confirmed as the technician if it asks, followed to its end."""
    reference = reference_of(cephmaint(env, "run", *words))
    settings = Settings(broker_url=env["CEPHMAINT_BROKER_URL"],
                        redis_url=env["CEPHMAINT_REDIS_URL"])
    handle = processor_of(worker_app(settings, name="bench-client")).handle(reference)
    gate = next((s.id for s in handle.specs() if s.id.startswith("confirm-")), None)
    give_up = time.monotonic() + timeout
    while gate is not None and handle.node(gate)["state"] != NodeState.RUNNING:
        if time.monotonic() > give_up or handle.status().state.finished:
            raise SystemExit(f"{reference}: no confirmation asked for: "
                             f"{handle.status().to_dict()}")
        time.sleep(1)
    if gate is not None:
        cephmaint(env, "confirm", reference, "--by", "bench")
    status = cephmaint(env, "status", reference, "--follow", timeout=timeout)
    if "SUCCESS" not in status:
        raise SystemExit(f"{reference} did not succeed:\n{status}")


def at_once(box: Sandbox, old: str, new: str, timeout: float) -> None:
    """The new host's OSDs created at full weight, then the old ones to weight 0 in one go
    and purged once safe to destroy: what cephadm's host add and `ceph orch osd rm` do.

    In that order: a pool that needs the old host's failure domain (EC over every rack)
    could not place its data while neither host had weight.
    """
    layout = box.layout()
    client = RadosClient.connect(conf_path=layout.conf_path)
    try:
        ceph = Ceph(client)
        osds = sorted(ceph.osd_tree().hosts()[old])
        weight = max(ceph.osd_tree().crush_weights(frozenset(osds)).values())
        # The weights cephmaint gives new OSDs: their device sizes, else the old weight.
        cluster = load_inventory(layout.inventory_path).clusters[0]
        _, each, _ = new_osd_weights(cluster, new, weight)
        for device, device_weight in zip(cluster.host(new).devices, each, strict=True):
            hostctl(layout.root, new, "create-osd", device.path, "--weight",
                    f"{device_weight:g}")
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


def run_one(case: str, kind: str, strategy: str, timeout: float) -> Outcome:
    """One replace (an addition, a decommission) on a fresh sandbox of the case's topology.

    For an addition, held counts the copies the new host holds at the end.
    """
    topology, old, new, same = CASES[case]
    old = RETIRED[case] if kind == "decommission" else old
    prepare = (lambda box: like_for_like(box, old, new)) if same else None
    with sandbox_with_worker(load_topology(topology), prepare) as (box, env):
        objects = box.verify()
        # A fresh sandbox's balancer may still be evening it out: not the replace's moves.
        balancer_idle(box, timeout)
        before, held = copies(box, old)
        peaks, stop, frozen = Peaks(), threading.Event(), threading.Event()
        sampler = threading.Thread(target=sample,
                                   args=(box.layout().root, peaks, stop, frozen))
        sampler.start()
        time.sleep(3)  # every OSD slowed down before anything moves
        started = time.monotonic()
        try:
            if kind == "add":
                with_cephmaint(env, ["add", new, "--strategy", strategy], timeout)
            elif kind == "decommission":
                with_cephmaint(env, ["decommission", old, "--strategy", strategy], timeout)
            elif strategy == "weight-0-at-once":
                at_once(box, old, new, timeout)
            else:
                with_cephmaint(env, ["replace", old, "--new-host", new, "--strategy",
                                     strategy], timeout)
            wall = time.monotonic() - started
            frozen.set()
            at_end, _ = copies(box, old)
            relocated_at_end = _relocated(peaks)
            pins = balancer_idle(box, timeout)
        finally:
            stop.set()
            sampler.join()
        after, now_held = copies(box, new if kind == "add" else old)
        if kind == "add":
            held = now_held
        if box.verify() != objects:
            raise SystemExit(f"{case} {strategy}: objects lost")
    label = f"{kind} {strategy}" if kind in ("add", "decommission") else strategy
    return Outcome(case, label, held, after - before, at_end - before, _relocated(peaks),
                   relocated_at_end, round(wall, 1), peaks, pins)


def _relocated(peaks: Peaks) -> int:
    return peaks.relocations.copies if peaks.relocations is not None else 0


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def table(outcomes: list[Outcome | str]) -> str:
    """The figures as one Markdown table."""
    rows = ["| case | strategy | copies moved per copy held | copies moved / held | "
            "of which by the balancer after | copies relocated per copy held | "
            "relocated / held | of which by the balancer after | "
            "wall time | peak degraded | peak misplaced | peak PGs backfilling | "
            "fewest live copies (size) | upmap items left |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        if isinstance(o, str):
            rows.append(o)
            continue
        live = f"{o.peaks.live[0]} ({o.peaks.live[1]})" if o.peaks.live else "-"
        rows.append(f"| {o.case} | {o.strategy} | {o.recovered / o.held:.2f} | "
                    f"{o.recovered} / {o.held} | {o.recovered - o.by_the_end} | "
                    f"{o.relocated / o.held:.2f} | {o.relocated} / {o.held} | "
                    f"{o.relocated - o.relocated_by_the_end} | "
                    f"{o.wall_s:.0f} s | {o.peaks.degraded} | "
                    f"{o.peaks.misplaced} | {o.peaks.backfilling} | {live} | {o.pins_left} |")
    return "\n".join(rows)


def main() -> int:
    """Every strategy on every topology asked for; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.maintenance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", choices=sorted(CASES),
                        help=f"default: {', '.join(DEFAULT_CASES)}")
    parser.add_argument("--strategy", action="append", choices=STRATEGIES)
    parser.add_argument("--add", action="store_true",
                        help="add the new host instead (strategies drain-fill: in steps, "
                             "and move-once); copies moved per copy it holds at the end")
    parser.add_argument("--decommission", action="store_true",
                        help="retire a host instead (strategies drain-fill: drained in "
                             "steps, and move-once): copies moved per copy it held")
    parser.add_argument("--runs", type=int, default=1, help="runs of each (spread shown)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for one wait")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    outcomes: list[Outcome | str] = []
    for case in args.case or DEFAULT_CASES:
        kind = "add" if args.add else "decommission" if args.decommission else "replace"
        chosen = WEIGHT_STRATEGIES if kind in ("add", "decommission") else STRATEGIES
        for strategy in args.strategy or chosen:
            for _ in range(args.runs):
                try:
                    outcome: Outcome | str = run_one(case, kind, strategy, args.timeout)
                except SystemExit as e:  # refused or failed: said in the table, go on
                    outcome = f"| {case} | {strategy} | {_last_line(str(e))} |"
                print(outcome if isinstance(outcome, str) else table([outcome]).splitlines()[-1],
                      flush=True)
                outcomes.append(outcome)
    print()
    print(table(outcomes))
    print(f"\n{args.runs} run(s) of each; runtime {time.monotonic() - started:.0f} s, "
          "sandboxes included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
