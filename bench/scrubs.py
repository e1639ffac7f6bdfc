"""While a host is drained, do scrub flags help, and which scope is enough? On a sandbox."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

from ceph_tasks.ceph import RadosClient
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import load_topology

VARIANTS = ("none", "pools", "cluster")
SCRUB_FLAGS = ("noscrub", "nodeep-scrub")

#: Eager scrubbing, so that scrubs are likely while a drain of half a minute runs. Left at
#: its default on purpose: osd_scrub_during_recovery (false).
EAGER_SCRUBS = {
    "osd_scrub_min_interval": "1",
    "osd_scrub_max_interval": "5",
    "osd_deep_scrub_interval": "10",
    "osd_scrub_load_threshold": "100",
    "osd_max_scrubs": "2",
    "osd_scrub_sleep": "0",
    "osd_scrub_begin_hour": "0",
    "osd_scrub_end_hour": "0",
    # The OSD skips a share of its scrub-scheduling ticks by default (0.66): none here.
    "osd_scrub_backoff_ratio": "0",
}

#: PG states in which data is being copied to or from the PG's OSDs right now.
MOVING = ("backfilling", "recovering")
#: A PG remapped but idle this long counts as a stalled backfill in the conclusion.
STALL_S = 10.0
#: What the table counts on each side: every scrub, the deep ones, those beside moving data.
KINDS = ("all", "deep", "backfilling", "unsettled")
#: State words a PG may show on top of active+clean without being unsettled.
SETTLED = {"active", "clean", "scrubbing", "deep"}


@dataclass(frozen=True)
class Pg:
    """One PG as one `pg dump pgs` saw it."""

    pgid: str
    pool: int
    state: str
    up: tuple[int, ...]
    acting: tuple[int, ...]
    scrub_stamp: str
    deep_stamp: str

    @property
    def osds(self) -> frozenset[int]:
        """Every OSD in the PG's up or acting set."""
        return frozenset(self.up) | frozenset(self.acting)

    @property
    def scrubbing(self) -> bool:
        """Tell whether a scrub (shallow or deep) runs on the PG now."""
        return "scrubbing" in self.state.split("+")

    @property
    def moving(self) -> bool:
        """Tell whether the PG is backfilling or recovering now."""
        return any(word in MOVING for word in self.state.split("+"))

    @property
    def settled(self) -> bool:
        """Active+clean, a running scrub aside."""
        words = set(self.state.split("+"))
        return {"active", "clean"} <= words <= SETTLED


Sample = dict[str, Pg]
#: Seconds since a drain (or refill) began, and the count of each PG state but active+clean.
Timeline = tuple[float, dict[str, int]]


def states_at(at: float, sample: Sample) -> Timeline:
    """One timeline entry."""
    states = Counter(pg.state for pg in sample.values() if pg.state != "active+clean")
    return round(at, 2), dict(states)


def longest_stall(timeline: Sequence[Timeline]) -> float:
    """The longest stretch in which some PG sat remapped, neither waiting nor backfilling."""
    longest, since = 0.0, None
    for at, states in timeline:
        if "active+remapped" in states:
            since = at if since is None else since
            longest = max(longest, at - since)
        else:
            since = None
    return longest


@dataclass
class Scrub:
    """A scrub that started during a drain."""

    pgid: str
    pool: int
    at: float
    deep: bool
    #: An OSD of the PG was in the up or acting set of a backfilling or recovering PG.
    on_backfilling_osd: bool
    #: The same, for any PG not yet active+clean (remapped, waiting for backfill, ...).
    on_unsettled_osd: bool
    #: How it was seen: "state" (a scrubbing state) or "stamp" (begun and done between samples).
    seen_by: str
    ended: bool = False


@dataclass
class Run:
    """One drain of one variant: its time, its scrubs and what it saw."""

    variant: str
    round: int
    host: str
    osds: list[int]
    moving_pools: list[str]
    moving_pool_ids: list[int]
    flagged_pools: list[str]
    drain_s: float
    refill_s: float
    samples: int
    scrubs: list[Scrub] = field(default_factory=list)
    #: Per drain sample: seconds since the drain began, and the count of every PG state
    #: other than active+clean.
    timeline: list[Timeline] = field(default_factory=list)
    #: The same for the refill, unmeasured otherwise: a stall there is no scrub's doing
    #: when the variant's flags (still set) let none start.
    refill_timeline: list[Timeline] = field(default_factory=list)

    def count(self, moving: bool, kind: str = "all") -> int:
        """Scrubs on the moving pools (or the others): all, deep, or beside moving data."""
        keep: dict[str, Callable[[Scrub], bool]] = {
            "all": lambda s: True, "deep": lambda s: s.deep,
            "backfilling": lambda s: s.on_backfilling_osd,
            "unsettled": lambda s: s.on_unsettled_osd}
        return sum(1 for s in self.scrubs
                   if (s.pool in self.moving_pool_ids) == moving and keep[kind](s))

    def stalled_s(self) -> float:
        """How long the drain had a PG sit remapped, neither waiting for nor doing backfill."""
        return longest_stall(self.timeline)

    def moving_samples(self) -> int:
        """How many samples showed a PG backfilling or recovering."""
        return sum(1 for _, states in self.timeline
                   if any(w in MOVING for st in states for w in st.split("+")))

    def counts(self) -> dict[str, int]:
        """Every count, by side and kind."""
        return {f"{side}_{kind}": self.count(side == "moving", kind)
                for side in ("moving", "other") for kind in KINDS}


class Cluster:
    """The few Ceph commands the measurement needs, over the project's librados client."""

    def __init__(self, client: RadosClient) -> None:
        self.client = client
        self.pool_ids = {p["pool_name"]: int(p["pool_id"])
                         for p in client.mon_command("osd pool ls", detail="detail")}

    def sample(self) -> Sample:
        """Every PG's state, up and acting sets and scrub stamps, now."""
        dump = self.client.mgr_command("pg dump", dumpcontents=["pgs"])
        stats = dump["pg_stats"] if isinstance(dump, dict) else dump
        return {s["pgid"]: Pg(s["pgid"], int(s["pgid"].split(".")[0]), s["state"],
                              tuple(s["up"]), tuple(s["acting"]), s["last_scrub_stamp"],
                              s["last_deep_scrub_stamp"]) for s in stats}

    def host_osds(self, host: str) -> dict[int, float]:
        """The OSDs under a CRUSH host, with their CRUSH weights."""
        nodes = self.client.mon_command("osd tree")["nodes"]
        by_id = {n["id"]: n for n in nodes}
        bucket = next(n for n in nodes if n["type"] == "host" and n["name"] == host)
        return {c: float(by_id[c]["crush_weight"]) for c in bucket["children"]}

    def reweight(self, weights: dict[int, float]) -> None:
        """Set CRUSH weights, one OSD after the other."""
        for osd, weight in weights.items():
            self.client.mon_command("osd crush reweight", name=f"osd.{osd}", weight=weight)

    def pool_flags(self, pools: Sequence[str], on: bool) -> None:
        """Set or clear noscrub and nodeep-scrub on each pool."""
        for pool in pools:
            for flag in SCRUB_FLAGS:
                self.client.mon_command("osd pool set", pool=pool, var=flag,
                                        val="1" if on else "0")

    def cluster_flags(self, on: bool) -> None:
        """Set or clear the cluster-wide noscrub and nodeep-scrub."""
        for flag in SCRUB_FLAGS:
            self.client.mon_command("osd set" if on else "osd unset", key=flag)

    def prepare(self) -> None:
        """Eager scrubs, no balancer, no autoscaler: only the drain moves PGs."""
        for name, value in EAGER_SCRUBS.items():
            # Fails loudly if this Ceph has no such option, rather than measuring nothing.
            self.client.mon_command("config help", key=name)
            self.client.mon_command("config set", who="osd", name=name, value=value)
        self.client.mgr_command("balancer off")
        for pool in self.pool_ids:
            self.client.mon_command("osd pool set", pool=pool, var="pg_autoscale_mode",
                                    val="off")

    def during_recovery(self) -> str:
        """The value OSDs use for osd_scrub_during_recovery."""
        return str(self.client.mon_command("config get", who="osd",
                                           key="osd_scrub_during_recovery"))


def wait(cluster: Cluster, done: Callable[[Sample], bool], timeout: float, what: str,
         period: float = 0.5, each: Callable[[float, Sample], None] | None = None) -> int:
    """Sample every period seconds until done(sample); how many samples it took."""
    deadline = time.monotonic() + timeout
    count = 0
    while True:
        started = time.monotonic()
        sample = cluster.sample()
        count += 1
        if each is not None:
            each(started, sample)
        if done(sample):
            return count
        if started > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(max(0.0, period - (time.monotonic() - started)))


class ScrubWatch:
    """Finds the scrubs that start between a baseline sample and the end of a drain."""

    def __init__(self, baseline: Sample, t0: float) -> None:
        self.prev = baseline
        self.t0 = t0
        self.prev_near = _near_moves(baseline)
        self.scrubs: list[Scrub] = []
        self.timeline: list[Timeline] = []
        # The latest scrub seen per PG. One running at the baseline began before the drain:
        # it is tracked, not counted, so that its end is not taken for a new scrub.
        self.open: dict[str, Scrub] = {
            p: Scrub(p, pg.pool, 0.0, False, False, False, "baseline")
            for p, pg in baseline.items() if pg.scrubbing}

    def __call__(self, at: float, sample: Sample) -> None:
        """Take in the next sample."""
        near = _near_moves(sample)
        self.timeline.append(states_at(at - self.t0, sample))
        for pgid, pg in sample.items():
            before = self.prev.get(pgid)
            if before is None:
                continue
            deep_state = "deep" in pg.state.split("+")
            deep = pg.deep_stamp != before.deep_stamp
            if deep or pg.scrub_stamp != before.scrub_stamp:
                seen = self.open.pop(pgid, None)
                if seen is not None:
                    seen.deep = seen.deep or deep
                else:
                    # Begun and done between two samples: it overlapped whatever moved at
                    # either of them.
                    both = (near[0] | self.prev_near[0], near[1] | self.prev_near[1])
                    self._add(pgid, pg, at, deep, both, "stamp").ended = True
            current = self.open.get(pgid)
            if pg.scrubbing:
                if current is None or current.ended:
                    self._add(pgid, pg, at, deep_state, near, "state")
                else:
                    current.deep = current.deep or deep_state
            elif current is not None:
                current.ended = True
        self.prev, self.prev_near = sample, near

    def _add(self, pgid: str, pg: Pg, at: float, deep: bool,
             near: tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]],
             seen_by: str) -> Scrub:
        def beside(moves: dict[str, frozenset[int]]) -> bool:
            others = frozenset[int]().union(*(o for p, o in moves.items() if p != pgid))
            return bool(pg.osds & others)

        scrub = Scrub(pgid, pg.pool, round(at - self.t0, 2), deep, beside(near[0]),
                      beside(near[1]), seen_by)
        self.scrubs.append(scrub)
        self.open[pgid] = scrub
        return scrub


def _near_moves(sample: Sample) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]]:
    """The up and acting OSDs by PG: of PGs that backfill or recover, of PGs not settled."""
    return ({p: pg.osds for p, pg in sample.items() if pg.moving},
            {p: pg.osds for p, pg in sample.items() if not pg.settled})


def clean(sample: Sample) -> bool:
    """Every PG active+clean (a scrub may run)."""
    return bool(sample) and all(pg.settled for pg in sample.values())


def measure(cluster: Cluster, variant: str, round_: int, host: str, *, lead: float,
            settle: float, timeout: float) -> Run:
    """Drain host under one variant's flags; put it back; return what the drain showed."""
    weights = cluster.host_osds(host)
    baseline = cluster.sample()
    ids = {v: k for k, v in cluster.pool_ids.items()}
    moving = sorted({ids[pg.pool] for pg in baseline.values() if pg.osds & set(weights)})
    flagged = moving if variant == "pools" else []
    if variant == "pools":
        cluster.pool_flags(flagged, on=True)
    elif variant == "cluster":
        cluster.cluster_flags(on=True)
    try:
        # The same pause in every variant: a scrub already under way when the flags land
        # ends in it and is not taken for one that started during the drain.
        time.sleep(lead)
        baseline = cluster.sample()
        t0 = time.monotonic()
        watch = ScrubWatch(baseline, t0)
        cluster.reweight(dict.fromkeys(weights, 0.0))
        samples = wait(
            cluster,
            lambda s: clean(s) and not any(pg.osds & set(weights) for pg in s.values()),
            timeout, f"{host} to drain", each=watch)
        drain_s = time.monotonic() - t0
        cluster.reweight(weights)
        before = {p: pg.up for p, pg in baseline.items()}
        # CRUSH is deterministic: with the weights back every PG maps where it did before.
        refill: list[Timeline] = []
        t1 = time.monotonic()
        wait(cluster, lambda s: clean(s) and {p: pg.up for p, pg in s.items()} == before,
             timeout, f"{host} to fill again",
             each=lambda at, s: refill.append(states_at(at - t1, s)))
        refill_s = time.monotonic() - t1
    finally:
        if variant == "pools":
            cluster.pool_flags(flagged, on=False)
        elif variant == "cluster":
            cluster.cluster_flags(on=False)
    # The same start for the next variant: scrubbing resumed everywhere for a moment.
    time.sleep(settle)
    return Run(variant, round_, host, sorted(weights), moving,
               [cluster.pool_ids[p] for p in moving], flagged, round(drain_s, 1),
               round(refill_s, 1), samples, watch.scrubs, watch.timeline,
               refill)


COLUMNS = ("round", "variant", "drain s", "of which stalled s")
#: One header per count, the moving pools' first: (side, kind, header).
COUNTS = tuple((side, kind, f"{label} {what}") for side, label in
               (("moving", "moving pools:"), ("other", "other pools:"))
               for kind, what in (("all", "scrubs"), ("deep", "of which deep"),
                                  ("backfilling", "beside backfilling PGs"),
                                  ("unsettled", "beside unclean PGs")))


def table(runs: Sequence[Run]) -> str:
    """The Markdown table of every run."""
    heads = [*COLUMNS, *(h for _, _, h in COUNTS)]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in runs:
        counts = r.counts()
        cells = [r.round, r.variant, f"{r.drain_s:.1f}", f"{r.stalled_s():.1f}",
                 *(counts[f"{side}_{kind}"] for side, kind, _ in COUNTS)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def conclusion(runs: Sequence[Run]) -> str:
    """A few sentences drawn from the figures."""
    by = {v: [r for r in runs if r.variant == v] for v in VARIANTS}
    if not all(by.values()):
        return "Not every variant ran: no conclusion."

    def total(variant: str, side: str | None = None, kind: str = "all") -> int:
        sides = ("moving", "other") if side is None else (side,)
        return sum(r.counts()[f"{s}_{kind}"] for r in by[variant] for s in sides)

    def summary(variant: str) -> str:
        minutes = sum(r.drain_s for r in by[variant]) / 60
        return (f"{total(variant)} scrubs started ({total(variant) / minutes:.0f} per drain "
                f"minute; {total(variant, 'moving')} on the moving pools, "
                f"{total(variant, 'other')} on the others), "
                f"{total(variant, kind='backfilling')} beside a backfilling PG, "
                f"{total(variant, kind='unsettled')} beside an unclean PG")

    rounds = len(by["none"])
    out = [f"Over {rounds} round(s). No flags: {summary('none')}.",
           f"Pool flags: {summary('pools')}.", f"Cluster flags: {summary('cluster')}."]
    if total("none") == 0:
        out.append("Even with eager settings no scrub started during a drain: the flags had "
                   "nothing to prevent here.")
    else:
        out.append(f"Flags on the moving pools took scrubs on those pools from "
                   f"{total('none', 'moving')} to {total('pools', 'moving')}, and scrubs "
                   f"beside unclean PGs from {total('none', kind='unsettled')} to "
                   f"{total('pools', kind='unsettled')}.")
    gap = total("pools", kind="unsettled") - total("cluster", kind="unsettled")
    if gap <= 0:
        out.append("Beside moving data the pool scope did as well as the cluster scope.")
    else:
        out.append(f"The cluster scope stopped {gap} more scrubs beside moving data than the "
                   f"pool scope; the pool scope's were {total('pools', 'other', 'unsettled')} "
                   f"on other pools and {total('pools', 'moving', 'unsettled')} on flagged "
                   "pools.")
    def means(time_of: Callable[[Run], float]) -> dict[str, float]:
        return {v: statistics.mean(time_of(r) for r in by[v]) for v in VARIANTS}

    def active(r: Run) -> float:
        return r.drain_s - r.stalled_s()

    raw, net = means(lambda r: r.drain_s), means(active)
    line = ("Drain time, mean: " + ", ".join(f"{v} {raw[v]:.1f} s" for v in VARIANTS)
            + "; less the stalls: " + ", ".join(f"{v} {net[v]:.1f} s" for v in VARIANTS))
    if rounds > 1:
        spread = max(net.values()) - min(net.values())
        noise = max(max(map(active, by[v])) - min(map(active, by[v])) for v in VARIANTS)
        line += (f" (variants {spread:.1f} s apart, rounds of one variant up to {noise:.1f} s "
                 "apart: " + ("within that noise" if spread <= noise else "beyond that noise")
                 + ")")
    out.append(line + ".")
    stalled = [r for r in runs if r.stalled_s() >= STALL_S]
    refills = [r for r in runs if longest_stall(r.refill_timeline) >= STALL_S]
    if stalled or refills:
        quiet = [r for r in runs if not r.scrubs and r.variant == "cluster"
                 and longest_stall(r.timeline + r.refill_timeline) >= STALL_S]
        out.append(f"{len(stalled)} of {len(runs)} drains and {len(refills)} refills had a PG "
                   f"sit active+remapped, neither waiting for nor doing backfill, for "
                   f"{STALL_S:.0f} s or more (up to "
                   f"{max(longest_stall(r.timeline + r.refill_timeline) for r in runs):.0f} s)"
                   + (f"; {len(quiet)} such stall(s) came under cluster flags with no scrub "
                      "started, so the stall is not a scrub's doing and it, not scrubbing, "
                      "sets the drain time here." if quiet else "."))
    seen, samples = sum(r.moving_samples() for r in runs), sum(len(r.timeline) for r in runs)
    out.append(f"{seen} of {samples} samples showed a PG backfilling or recovering"
               + (": the data moves faster than PG stats reach the manager (every second), "
                  "so 'beside backfilling PGs' undercounts and 'beside unclean PGs' is the "
                  "measure to read." if seen * 10 < samples else "."))
    return "\n".join(out)


@contextmanager
def sandbox() -> Iterator[Sandbox]:
    """A mixed-topology sandbox in a private temp folder, always taken down."""
    home = Path(tempfile.mkdtemp(prefix="cephmaint-scrubs-"))
    box = Sandbox(home / "sbx")
    try:
        box.up(timeout=300, topology=load_topology("mixed"))
        yield box
    finally:
        box.down()
        shutil.rmtree(home, ignore_errors=True)


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so the sandbox is taken down.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurement; print the table and the conclusion."""
    parser = argparse.ArgumentParser(prog="python -m bench.scrubs", description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three variants")
    parser.add_argument("--host", default="a1", help="the hdd host to drain")
    parser.add_argument("--budget", type=float, default=660,
                        help="seconds: start no round that would likely end past this")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds of plain scrubbing between variants")
    parser.add_argument("--lead", type=float, default=2,
                        help="seconds between setting the flags and the drain")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for one wait")
    parser.add_argument("--json", type=Path, help="write the raw figures to this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    runs: list[Run] = []
    with sandbox() as box:
        client = RadosClient.connect(conf_path=box.layout().conf_path)
        try:
            cluster = Cluster(client)
            cluster.prepare()
            during_recovery = cluster.during_recovery()
            print(f"sandbox up in {time.monotonic() - started:.0f} s; "
                  f"osd_scrub_during_recovery={during_recovery}", flush=True)
            for round_ in range(1, args.rounds + 1):
                round_start = time.monotonic()
                for variant in VARIANTS:
                    run = measure(cluster, variant, round_, args.host, lead=args.lead,
                                  settle=args.settle, timeout=args.timeout)
                    runs.append(run)
                    print(f"round {round_} {variant}: drain {run.drain_s} s, "
                          f"refill {run.refill_s} s, "
                          f"{len(run.scrubs)} scrubs, moving pools {run.moving_pools}",
                          flush=True)
                took = time.monotonic() - round_start
                if round_ < args.rounds and time.monotonic() - started + took > args.budget:
                    print(f"stopping after round {round_}: another would pass the budget",
                          flush=True)
                    break
        finally:
            client.close()
    elapsed = time.monotonic() - started
    print()
    print(table(runs))
    print()
    print(conclusion(runs))
    print(f"\nruntime {elapsed:.0f} s, sandbox included")
    if args.json:
        args.json.write_text(json.dumps({
            "runtime_s": round(elapsed, 1), "eager_scrubs": EAGER_SCRUBS,
            "osd_scrub_during_recovery": during_recovery,
            "runs": [{**asdict(r), "counts": r.counts()} for r in runs],
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
