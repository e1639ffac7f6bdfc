"""OSD fullness on a real sandbox: plans refuse a drain that would fill OSDs too far, a
running drain holds while OSDs are near full, and the projection meets `osd df` after it.

The sandbox's OSDs are 256 MiB; 192 MiB more data in pool data (two copies) fills them to
about a quarter, and a drain of node2 to up to about 60%. The cluster's ratios are set with
`ceph osd set-nearfull-ratio`, as an operator would, and put back after each test.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.placement import PlacementSimulator
from ceph_tasks.decisions.capacity import CapacityProjection
from ceph_tasks.names import TaskName
from dyrygent.states import NodeState, WorkflowState
from inventory import Inventory, load_inventory, write_inventory
from tests.integration.workflows.conftest import TIMING, WorkflowBench
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.workflows import wait_finished, wait_for_node
from workflows.planning import Kind, drained_by, plan_maintenance
from workflows.snapshot import read_cluster_state

# In --full: the CI tier's minutes go to the Reef matrix; the projection and the holds are
# unit- and component-tested, and this module proves them on a sandbox.
pytestmark = [pytest.mark.integration, pytest.mark.full]

#: Objects of 8 MiB written to pool data: 192 MiB, twice over on six 256 MiB OSDs.
FILL_OBJECTS, OBJECT_MIB = 24, 8
#: How far the projection may be from `osd df` after the drain, in percentage points.
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def filled(workflow_bench: WorkflowBench) -> WorkflowBench:
    """The bench's sandbox with 192 MiB more in pool data, and weight steps of 0.25."""
    bench = workflow_bench
    blob = bench.logdir.parent / "fill.bin"
    blob.write_bytes(bytes(range(256)) * (OBJECT_MIB * 4096))
    conf = str(bench.cluster.access.conf_path)
    for number in range(FILL_OBJECTS):
        subprocess.run(["rados", "-c", conf, "-p", "data", "put", f"fill-{number}",
                        str(blob)], check=True, timeout=60, capture_output=True)
    # Four steps instead of two: a drain long enough to be caught holding.
    [cluster] = load_inventory(bench.inventory_path).clusters
    throttles = cluster.throttles.model_copy(update={"crush_weight_step": 0.25})
    write_inventory(Inventory(clusters=(cluster.model_copy(update={"throttles": throttles}),)),
                    bench.inventory_path)
    poll(lambda: bench.with_ceph(lambda c: c.osd_df()).summary.total_kb_used > 350 * 1024,
         timeout=60, interval=1, what="osd df to count the data written")
    bench.wait_healthy()
    return bench


@pytest.fixture
def ratios(filled: WorkflowBench) -> Iterator[None]:
    """Put the cluster's nearfull ratio back to Ceph's default after a test."""
    yield
    filled.with_ceph(lambda c: c.client.mon_command("osd set-nearfull-ratio", ratio=0.85))


def projection(bench: WorkflowBench, host: str) -> CapacityProjection:
    """The plan's projection of draining a host, read as `cephmaint plan` reads it."""
    state = read_cluster_state(bench.cluster, drained=drained_by(Kind.DECOMMISSION, host))
    assert state.capacity is not None
    return state.capacity


def test_a_decommission_that_would_fill_an_osd_past_nearfull_is_refused_at_plan_time(
        filled: WorkflowBench, ratios: None) -> None:
    bench = filled
    found = projection(bench, "node2")
    fullest_now = found.fullest(1, after=False)[0].now
    fullest_after = found.fullest(1, after=True)[0]
    assert fullest_after.after > fullest_now + 0.1, found.describe()
    # Nearfull such that, less the 5-point margin, it sits between the fullest OSD now and
    # the fullest after the drain: the cluster is fine now, the drain would not be.
    nearfull = round((fullest_now + fullest_after.after) / 2 + 0.05, 3)
    bench.with_ceph(lambda c: c.client.mon_command("osd set-nearfull-ratio", ratio=nearfull))
    tree = bench.tree()
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    for command in ("plan", "run"):
        shown = bench.cli(command, "decommission", "node2")
        assert shown.returncode == 1, shown.stderr
        assert shown.stdout == ""
        assert re.search(rf"osd\.{fullest_after.osd} would be \d+\.\d% full .*past "
                         rf"{nearfull * 100 - 5:.1f}% \(nearfull ratio {nearfull * 100:.1f}% "
                         r"less a 5-point margin\); most of what it gets is from pool data",
                         shown.stderr), shown.stderr
    assert bench.tree() == tree
    # The monitors log the ratio's change once more when it finished, maybe after the mark.
    changes = bench.with_ceph(lambda c: changes_since(c.client, mark))
    assert [c for c in changes if "set-nearfull-ratio" not in c] == [], changes


def test_a_drain_holds_while_an_osd_is_past_nearfull_and_lands_where_projected(
        filled: WorkflowBench, ratios: None) -> None:
    bench = filled
    found = projection(bench, "node2")
    cluster = bench.cluster
    state = read_cluster_state(cluster, drained=drained_by(Kind.DECOMMISSION, "node2"))
    plan = plan_maintenance(Kind.DECOMMISSION, "node2", cluster=cluster, state=state,
                            timing=replace(TIMING, drain=600))
    assert plan.capacity is not None
    handle = bench.submit(plan)
    drain = next(s.id for s in plan.steps if s.task == TaskName.REWEIGHT)
    wait_for_node(handle, drain, NodeState.RUNNING)
    # Nearfull below the use of the fullest OSD taking data now: the drain must stop
    # changing weights. node2's own OSDs, being drained, would not hold it.
    fullest = bench.with_ceph(lambda c: max(n.utilization for n in c.osd_df().nodes
                                            if n.id not in (4, 5)))
    low = round(fullest / 100 - 0.05, 3)
    bench.with_ceph(lambda c: c.client.mon_command("osd set-nearfull-ratio", ratio=low))

    def holding() -> str | None:
        shown = bench.cli("status", plan.reference).stdout
        return shown if "holding: osd." in shown else None

    status = poll(holding, timeout=60, interval=1,
                  give_up=lambda: handle.status().state.finished,
                  what=lambda _: f"the drain to hold: {handle.status().to_dict()}")
    assert f"past nearfull {low * 100:.1f}%" in status, status
    assert not re.search(r"holding: osd\.[45] ", status), status
    weights = bench.tree().crush_weights(frozenset({4, 5}))
    # Three step intervals (2 s each) later the weights are where the hold found them.
    time.sleep(6)
    assert holding() is not None
    assert bench.tree().crush_weights(frozenset({4, 5})) == weights
    assert handle.node(drain)["state"] == NodeState.RUNNING

    bench.with_ceph(lambda c: c.client.mon_command("osd set-nearfull-ratio", ratio=0.85))
    assert wait_finished(handle, 600) == WorkflowState.SUCCESS, handle.status().to_dict()
    bench.refresh_inventory()
    usage = bench.with_ceph(lambda c: c.osd_df())
    report = []
    for osd in found.osds:
        real = usage.osd(osd.osd)
        if real is None or real.kb == 0:
            continue  # node2's OSDs are gone
        actual = real.kb_used / real.kb
        report.append(f"osd.{osd.osd} projected {osd.after:.3f} actual {actual:.3f}")
        assert abs(actual - osd.after) < TOLERANCE, report
    assert len(report) == 4, report


def test_the_simulated_placement_honours_osd_reweight_and_upmap_entries(
        filled: WorkflowBench) -> None:
    bench = filled

    def simulated_and_live() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
        def read(ceph: Ceph) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
            placed = PlacementSimulator().simulate(ceph.osdmap(), {})
            live = {pg.pgid: pg.up for pg in ceph.pg_dump_brief().pg_stats}
            return dict(placed.before.osds), live
        found: tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]
        found = bench.with_ceph(read)
        return found

    before, _ = simulated_and_live()
    pgid, up = next((pg, osds) for pg, osds in sorted(before.items())
                    if len(osds) == 2 and 0 in osds)
    partner = {0: 1, 1: 0, 2: 3, 3: 2, 4: 5, 5: 4}
    moved_to = partner[0] if partner[0] not in up else None
    assert moved_to is not None, (pgid, up)

    def command(prefix: str, **args: object) -> None:
        bench.with_ceph(lambda c: c.client.mon_command(prefix, **args))

    command("osd set-require-min-compat-client", version="luminous", yes_i_really_mean_it=True)
    command("osd reweight", id=2, weight=0.5)
    command("osd pg-upmap-items", pgid=pgid, id=[0, moved_to])
    try:
        simulated, _ = poll(
            lambda: pair if (pair := simulated_and_live())[0] == pair[1] else None,
            timeout=60, interval=1,
            what=lambda last: f"osdmaptool's placement to match pg dump's up sets: {last}")
        assert simulated[pgid] == tuple(moved_to if o == 0 else o for o in up)
        assert simulated != before  # the reweight of osd.2 moved PGs, and osdmaptool knew
    finally:
        command("osd rm-pg-upmap-items", pgid=pgid)
        command("osd reweight", id=2, weight=1.0)
