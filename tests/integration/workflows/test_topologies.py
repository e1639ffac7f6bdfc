"""Every workflow kind on realistic topologies: racks, size 3, EC, device classes, a spare.

Each built-in topology gets a sandbox of its own, and its scenarios run in order on it, as
an operator's weeks would: a disk replaced, hosts replaced onto the spare and in place, a
host retired and its hardware added back, a fleet retired batch by batch. Each ends with
every object of every pool intact, HEALTH_OK, and no flag, downtime or silence of ours
left. Refusals are plan-only: they read the cluster and change nothing, which Ceph's own
audit log confirms. The CI tier runs each kind but the fleet's once on a non-default
topology, on Reef (another release, under per-OSD recovery settings); `--full` runs them
all on every built-in topology on the default release too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from ceph_tasks.ceph.models.service_daemons import DaemonKind
from ceph_tasks.decisions.host_daemons import arrived, daemons_on
from ceph_tasks.decisions.recovery_settings import (
    MAX_ACTIVE,
    MAX_BACKFILLS,
    OVERRIDE,
    PROFILE,
    SLEEP,
)
from ceph_tasks.decisions.weights import size_weight
from ceph_tasks.names import TaskName
from cephmaint.sandbox.cluster import service_daemon
from cephmaint.sandbox.release import named
from cephmaint.sandbox.topology import load_topology
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from inventory import Inventory, RecoveryPace, RecoverySettings, write_inventory
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from workflows.errors import PlanRefused
from workflows.fleet import FleetAction, plan_fleet
from workflows.host_work import Work
from workflows.plan import MaintenancePlan
from workflows.snapshot import read_cluster_state

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Scenario:
    """One maintenance: its kind, what it works on, and what a technician does for it."""

    kind: str  # decommission, replace, add, disk, fleet, maintenance (work without drain)
    target: str  # a host, "osd.N", or hosts separated by commas for a fleet
    new_host: str | None = None
    #: The inventory's min_monitors for it: a monitor's host retired needs it lowered.
    min_monitors: int | None = None
    #: The work done on a host without drain (kind maintenance).
    work: Work | None = None

    @property
    def hosts(self) -> list[str]:
        """The hosts a fleet works on."""
        return self.target.split(",")

    def __str__(self) -> str:
        onto = f"-onto-{self.new_host}" if self.new_host else ""
        return f"{self.kind}-{self.target}{onto}"


@dataclass(frozen=True)
class Refusal:
    """A maintenance the cluster cannot afford, and what the refusal must name."""

    kind: str
    host: str
    names: tuple[str, ...]

    def __str__(self) -> str:
        return f"refuse-{self.kind}-{self.host}"


CI, FULL = (), (pytest.mark.full,)
#: The per-OSD recovery settings another release's cases run under: more backfills than
#: mClock's default and its profile for recovery first, which the sandbox's idle clients
#: can afford (the gentle end is tested with the drain in test_recovery_limits).
RECOVERY = RecoverySettings(backfills_per_osd=2, pace=RecoveryPace.FAST)
RECOVERY_OPTIONS = {MAX_BACKFILLS, MAX_ACTIVE, SLEEP, PROFILE, OVERRIDE}
#: topology -> its refusals and scenarios, in the order they run, with the tier of each.
MATRIX: dict[str, list[tuple[Scenario | Refusal, tuple[pytest.MarkDecorator, ...]]]] = {
    # The CI tier runs mixed's kinds on Reef's sandbox (below); --full runs every case on
    # every topology on the default release too.
    "mixed": [
        (Refusal("decommission", "c1", ("pool rbd", "rbd-rule", "rack",
                                        "only 2 rack would be left")), FULL),
        (Refusal("decommission", "a2", ("pool hot", "hot-rule", "ssd",
                                        "only 1 host would be left (b2)")), FULL),
        (Scenario("disk", "osd.8"), FULL),
        (Scenario("replace", "b1", new_host="new1"), FULL),
        (Scenario("replace", "a1"), FULL),
        # c1 runs one of the three monitors, and the active MDS since b1's handed over.
        (Refusal("decommission", "c1", ("removing mon.c1 leaves 2 monitor(s)",
                                        "min_monitors 3")), FULL),
        (Scenario("decommission", "c1", min_monitors=2), FULL),
        (Scenario("add", "c1"), FULL),
        (Scenario("fleet", "a3"), FULL),
    ],
    "racks": [
        # logs is EC 2+2 over the four racks: no rack may be left empty, so d1 (alone in
        # rd) cannot go, and the fleet retires one host of a two-host rack per batch.
        (Refusal("decommission", "d1", ("pool logs", "rule logs", "rack",
                                        "only 3 rack would be left (ra, rb, rc)")), FULL),
        (Scenario("disk", "osd.3"), FULL),
        (Refusal("replace", "a1", ("removing mon.a1 leaves 2 monitor(s)", "min_monitors 3")),
         FULL),
        (Scenario("replace", "b2"), FULL),
        # One of three monitors moves (the spare's joins the quorum before c1's leaves), and
        # the active manager fails over.
        (Scenario("replace", "c1", new_host="spare-d2.dc1"), FULL),
        # In place: d1's standby manager handed over, and back on the new hardware.
        (Scenario("replace", "d1"), FULL),
        (Scenario("decommission", "a2"), FULL),
        (Scenario("add", "a2"), FULL),
        (Scenario("fleet", "a2,b2"), FULL),
    ],
    # The same cluster on Reef (mClock, its own output formats and health checks): each kind
    # of maintenance once, a failure-domain refusal, each copy moved once (replace and
    # decommission), and a reboot without drain.
    "mixed@reef": [
        (Refusal("decommission", "c1", ("pool rbd", "rbd-rule", "rack",
                                        "only 2 rack would be left")), CI),
        (Scenario("maintenance", "a2", work=Work.REBOOT), CI),
        (Scenario("disk", "osd.8"), CI),
        (Scenario("replace", "b1", new_host="new1"), CI),
        (Scenario("decommission", "c1", min_monitors=2), CI),
        (Scenario("add", "c1"), CI),
    ],
    "default": [
        (Scenario("disk", "osd.5"), FULL),
        (Scenario("replace", "node2", new_host="spare-3.dc1"), FULL),
        (Scenario("replace", "node1"), FULL),
        (Refusal("decommission", "node0", ("mon.node0", "mgr.node0")), FULL),
        (Scenario("decommission", "spare-3.dc1"), FULL),
        (Scenario("add", "spare-3.dc1"), FULL),
        (Scenario("fleet", "node1"), FULL),
    ],
}
CASES = [pytest.param(topology, case, marks=marks, id=f"{topology}-{index}-{case}")
         for topology, cases in MATRIX.items() for index, (case, marks) in enumerate(cases, 1)]


@pytest.fixture(scope="module")
def benches(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Callable[[str], WorkflowBench]]:
    """The bench of a topology, made when first asked for; one topology's sandbox at a time.

    The cases come grouped by topology, so each sandbox lives through its cases in order
    and goes down before the next topology's comes up.
    """
    live: dict[str, tuple[ExitStack, WorkflowBench]] = {}

    def bench_of(name: str) -> WorkflowBench:
        if name not in live:
            for stack, _ in live.values():
                stack.close()
            live.clear()
            stack = ExitStack()
            topology, _, release = name.partition("@")
            bench = stack.enter_context(bench_on(
                tmp_path_factory.mktemp(topology), load_topology(topology),
                release=named(release) if release else None))
            if release:
                # Another release's cases run under per-OSD recovery settings: set on each
                # OSD's scheduler before data moves (the new host's OSDs too), put back after.
                cluster = bench.cluster
                throttles = cluster.throttles.model_copy(update={"recovery": RECOVERY})
                write_inventory(Inventory(clusters=(cluster.model_copy(
                    update={"throttles": throttles}),)), bench.inventory_path)
            live[name] = (stack, bench)
        return live[name][1]

    try:
        yield bench_of
    finally:
        for stack, _ in live.values():
            stack.close()


@pytest.mark.timeout(900)
@pytest.mark.parametrize(("topology", "case"), CASES)
def test_topology(benches: Callable[[str], WorkflowBench], topology: str,
                  case: Scenario | Refusal) -> None:
    bench = benches(topology)
    if isinstance(case, Refusal):
        refuse(bench, case)
    else:
        carry_out(bench, case)


def refuse(bench: WorkflowBench, refusal: Refusal) -> None:
    """The plan is refused, naming pool, rule and what is left; nothing reaches Ceph."""
    tree, dump = bench.tree(), bench.dump()
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    with pytest.raises(PlanRefused) as refused:
        bench.plan(refusal.kind, refusal.host)
    for name in refusal.names:
        assert name in str(refused.value), str(refused.value)
    shown = bench.cli("run", refusal.kind, refusal.host)
    assert shown.returncode == 1 and shown.stdout == "", shown
    assert refusal.names[0] in shown.stderr
    assert bench.tree() == tree and bench.dump() == dump
    assert bench.with_ceph(lambda c: changes_since(c.client, mark)) == []


def carry_out(bench: WorkflowBench, scenario: Scenario) -> None:
    """Plan, run and, as the technician, do the hardware work; then prove nothing was lost."""
    objects = bench.sandbox.verify()
    weights = bench.tree().crush_weights()
    if scenario.kind == "add":
        bench.new_disks(scenario.target, f"ADD-{scenario.target}")
    if scenario.min_monitors is not None:
        cluster = bench.cluster.model_copy(update={"min_monitors": scenario.min_monitors})
        write_inventory(Inventory(clusters=(cluster,)), bench.inventory_path)
    plan = planned(bench, scenario)
    if bench.cluster.throttles.recovery is not None and plan.recovery:
        assert any("(mclock): profile high_recovery_ops, override + osd_max_backfills 2"
                   in line for line in plan.recovery), plan.recovery
    monitors = MonitorCount(bench)
    handle = bench.submit(plan)
    state = follow_as_technician(bench, plan, handle, scenario, watch=monitors)
    assert state == WorkflowState.SUCCESS, handle.status().failed
    monitors()
    monitors.check(plan)
    bench.wait_healthy(timeout=120)
    assert bench.sandbox.verify() == objects
    bench.wait_restored(plan.reference, list(plan.hosts), after=str(scenario))
    # Its guardian drops the ledger's copies on the cluster once it saw the end: nothing of
    # the maintenance is left there, and the next case's audit window starts clean.
    poll(lambda: plan.reference not in bench.copies(), timeout=60, interval=0.5,
         what=lambda _: f"the ledger's copies of {plan.reference} dropped: {bench.copies()}")
    check_layout(bench, scenario, weights)
    ours = [e for e in bench.with_ceph(lambda c: c.config_dump())
            if e.section.startswith("osd.") and e.name in RECOVERY_OPTIONS]
    assert ours == [], f"recovery settings left after {scenario}: {ours}"
    check_handed_over(bench, plan)
    # The hardware changed: the operator brings the inventory up to date, as the plans of
    # the next maintenances on these hosts require.
    bench.refresh_inventory()


def planned(bench: WorkflowBench, scenario: Scenario) -> MaintenancePlan:
    if scenario.kind == "maintenance":
        return bench.plan(scenario.kind, scenario.target, reason="firmware", work=scenario.work)
    if scenario.kind != "fleet":
        return bench.plan(scenario.kind, scenario.target, new_host=scenario.new_host)
    cluster = bench.cluster
    return plan_fleet(scenario.hosts, FleetAction.RETIRE, cluster=cluster,
                      state=read_cluster_state(cluster), timing=TIMING)


#: Looks, 2 s apart, at a quorum seen smaller than before, before it counts as smaller.
ELECTION_LOOKS = 3


class MonitorCount:
    """The fewest monitors in quorum and the most in the monmap, over looks at the cluster."""

    def __init__(self, bench: WorkflowBench) -> None:
        self.bench = bench
        self.before = self.fewest = self.most = self._monitors()[0]

    def _monitors(self) -> tuple[int, int]:
        mons = self.bench.with_ceph(lambda c: c.daemons()).of(DaemonKind.MON)
        return sum(m.active for m in mons), len(mons)

    def __call__(self) -> None:
        quorum, monmap = self._monitors()
        # A monmap change calls an election, and a look during it can catch the quorum
        # still forming: a monitor missing from it counts only if still missing once the
        # election had time to end (a few seconds on the sandbox).
        for _ in range(ELECTION_LOOKS):
            if quorum >= self.fewest:
                break
            time.sleep(2)
            quorum = max(quorum, self._monitors()[0])
        self.fewest, self.most = min(self.fewest, quorum), max(self.most, monmap)

    def check(self, plan: MaintenancePlan) -> None:
        """A monitor moved to new hardware joined before the old one left: N -> N+1 -> N."""
        moved = [s for s in plan.steps if s.task == TaskName.ADD_DAEMONS
                 and "mon" in s.kwargs["kinds"] and s.kwargs["host"] not in
                 [h.kwargs["host"] for h in plan.steps if h.task == TaskName.HAND_OVER_DAEMONS]]
        if moved:
            assert (self.fewest, self.most) == (self.before, self.before + 1), vars(self)


def follow_as_technician(bench: WorkflowBench, plan: MaintenancePlan,
                         handle: WorkflowHandle, scenario: Scenario,
                         watch: Callable[[], None] = lambda: None) -> WorkflowState:
    """Wait for the workflow; each time it waits for a technician, do the work and confirm.

    watch is called at every look: a sampler of what must hold throughout.
    """
    gates = [s for s in plan.steps if s.task == TaskName.WAIT_FOR_TECHNICIAN]
    done: set[str] = set()

    def look() -> WorkflowState | None:
        watch()
        for gate in gates:
            if gate.id not in done and handle.node(gate.id)["state"] == NodeState.RUNNING:
                done.add(gate.id)
                confirm(bench, plan, gate.kwargs["host"], scenario)
        state = handle.status().state
        return state if state.finished else None

    return poll(look, timeout=600, interval=1.0,
                what=lambda _: f"{scenario} to end: {handle.status().to_dict()}")


def confirm(bench: WorkflowBench, plan: MaintenancePlan, host: str,
            scenario: Scenario) -> None:
    """The technician's part: new disks where hardware was swapped in place, then confirm."""
    words = ["confirm", plan.reference, "--by", "tech", "--host", host]
    if scenario.kind == "disk":
        [osd] = plan.osds
        device = bench.cluster.osd(osd).device
        bench.hostctl(host, "swap-disk", device, f"DISK-{osd}-NEW")
        words += ["--evidence", f"serial=DISK-{osd}-NEW"]
    elif scenario.new_host is None:
        bench.new_disks(host, f"NEW-{host}")
    done = bench.cli(*words)
    assert done.returncode == 0, done.stderr


def check_handed_over(bench: WorkflowBench, plan: MaintenancePlan) -> None:
    """A retired host keeps no monitor and no daemon running; a new one runs the same kinds."""
    handed = [s.kwargs["host"] for s in plan.steps if s.task == TaskName.HAND_OVER_DAEMONS]
    if not handed:
        return
    daemons = bench.with_ceph(lambda c: c.daemons())
    hosts = [h.name for h in bench.cluster.hosts]
    left = [d for d in daemons_on(daemons, handed, hosts) if d.kind == "mon" or d.active]
    assert left == [], left
    if daemons.of(DaemonKind.MDS):
        assert [d for d in daemons.of(DaemonKind.MDS) if d.active], daemons
    layout = bench.sandbox.layout()
    arrivals = {s.kwargs["host"]: s.kwargs["kinds"] for s in plan.steps
                if s.task == TaskName.ADD_DAEMONS}
    for host in set(handed) | set(arrivals):
        running = [kind for kind in DaemonKind
                   if service_daemon(layout, kind, layout.host(host)).running()]
        assert running == arrivals.get(host, []), (host, running)
        for kind in arrivals.get(host, []):
            assert arrived(daemons, DaemonKind(kind), host, hosts), daemons


def check_layout(bench: WorkflowBench, scenario: Scenario,
                 weights: dict[int, float]) -> None:
    """CRUSH holds what the maintenance promised, every weight where it belongs."""
    tree = bench.tree()
    hosts = {h: osds for h, osds in tree.hosts().items() if osds}
    layout = bench.sandbox.layout()
    if scenario.kind == "disk":
        osd = int(scenario.target.removeprefix("osd."))
        node = tree.node(osd)
        assert node is not None and node.up and node.crush_weight == 1.0
    elif scenario.kind == "maintenance":
        assert tree.crush_weights() == weights, "work without drain moved no weight"
    elif scenario.kind in ("decommission", "fleet"):
        assert not set(scenario.hosts) & set(hosts), hosts
    else:
        host = scenario.new_host or scenario.target
        devices = len(layout.host(host).devices)
        assert len(hosts[host]) == devices, hosts
        # Each new OSD weighs its disk's size in TiB.
        sizes = {size_weight(d.size) for d in layout.host(host).devices}
        assert set(tree.crush_weights(frozenset(hosts[host])).values()) == sizes
        if scenario.new_host:
            assert scenario.target not in hosts
