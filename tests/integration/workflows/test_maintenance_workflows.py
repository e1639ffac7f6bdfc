"""Maintenance workflows end to end: planned from the live sandbox, run by a real worker.

The tests run in file order on one sandbox, each leaving it healthy for the next, as an
operator's week would: node1 rebooted without a drain, its data held in place (with
--full, then every host in turn); a
decommission of node2 cancelled mid-drain and rolled back; node2
replaced by the spare spare-3.dc1, paused mid-drain and resumed, the technician's
confirmation given with `cephmaint confirm`; node1 retired while an OSD of node0 is down,
failing at its deadline and retried once the OSD is back; at last, with two hosts left,
decommissions refused at plan time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from ceph_tasks.audit import Kind, Outcome, Query
from cephmaint.sandbox.registry import Registry
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import MOVE_FLAGS, TIMING, WorkflowBench, node_states
from tests.support.audit import audit_mark, changes_since, dispatched, missing_from_trail
from tests.support.poll import poll
from tests.support.worker import ROOT
from tests.support.workflows import wait_finished, wait_for_node
from workflows.errors import PlanRefused
from workflows.guardian import DEFAULT_INTERVAL
from workflows.host_work import Work
from workflows.leases import RedisLeases
from workflows.move_once import Strategy
from workflows.plan import MaintenancePlan
from workflows.submission import retry

pytestmark = pytest.mark.integration

#: The sandbox's spare hardware, named as real hosts are.
SPARE = "spare-3.dc1"


def started(handle: WorkflowHandle, plan: MaintenancePlan) -> dict[str, str]:
    """The steps handed to a worker so far, with their states (READY is still waiting)."""
    return {step: state for step, state in node_states(handle, plan).items()
            if state not in (NodeState.PENDING, NodeState.READY)}


class Watch:
    """What the cluster showed while a maintenance ran, sampled on each look."""

    def __init__(self, bench: WorkflowBench) -> None:
        self.bench = bench
        self.host_flags: set[str] = set()
        self.cluster_flags: set[str] = set()
        self.down: set[str] = set()
        self.most_down = 0
        self.unavailable: set[str] = set()

    def look(self) -> None:
        """One sample: flags, OSDs down, PGs without a copy to serve them."""
        dump = self.bench.dump()
        status = self.bench.with_ceph(lambda c: c.status())
        down = {f"osd.{o}" for o in self.bench.tree().down_osds()}
        self.host_flags |= {f for h in dump.crush_node_flags for f in dump.host_flags(h)}
        self.cluster_flags |= dump.flags
        self.down |= down
        self.most_down = max(self.most_down, len(down))
        # Peering as OSDs go and come is brief, and stale only until the monitors see a
        # stopped primary down; a PG down or incomplete has no copy left to serve it.
        self.unavailable |= {e.state_name for e in status.pgmap.pgs_by_state
                             if e.states & {"down", "incomplete"}}


def test_a_reboot_without_drain_holds_the_hosts_data_in_place_and_recovers_almost_nothing(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    weights_before = bench.tree().crush_weights()
    plan = bench.plan("maintenance", "node1", reason="kernel 6.1.0-28", work=Work.REBOOT)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    handle = bench.submit(plan)
    watch = Watch(bench)

    def look() -> WorkflowState | None:
        watch.look()
        state = handle.status().state
        return state if state.finished else None

    assert poll(look, timeout=240, interval=0.5, what=lambda _: handle.status().to_dict()) \
        == WorkflowState.SUCCESS, handle.status().to_dict()
    # The host's OSDs went down under its own noout, never the cluster's; every PG kept a
    # copy to serve it (Ceph said ok to stop), and the weights never moved.
    assert watch.host_flags == {"noout"} and "noout" not in watch.cluster_flags
    assert watch.down == {"osd.2", "osd.3"} and not watch.unavailable, vars(watch)
    assert bench.tree().crush_weights() == weights_before
    assert Registry(bench.sandbox.root).boots("node1") == 1  # the sandbox's reboot ran
    back = handle.node("back-node1")["result"]
    assert back["object_copies_held"] > 0
    assert back["objects_recovered"] <= back["object_copies_held"] // 20, back
    shown = bench.cli("status", plan.reference)
    assert f"against {back['object_copies_held']} object copies the host held" \
        in shown.stdout, shown.stdout
    assert bench.restored(plan.reference, ["node1"])
    assert not bench.ledger().entries(plan.reference).keys() & {"daemon-stopped:node1:2",
                                                                "daemon-stopped:node1:3"}
    # Ceph's own log: the host's noout set and unset, nothing drained, marked out or set
    # cluster-wide.
    sent = " ".join(bench.with_ceph(lambda c: changes_since(c.client, mark)))
    assert '"prefix": "osd set-group", "flags": "noout", "who": ["node1"]' in sent, sent
    assert '"osd unset-group"' in sent, sent
    for never in ('"osd crush reweight"', '"osd out"', '"osd set", "key": "noout"'):
        assert never not in sent, sent
    assert bench.sandbox.verify() == 400


@pytest.mark.full
@pytest.mark.timeout(900)
def test_a_rolling_reboot_of_every_host_takes_one_host_down_at_a_time(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    weights_before = bench.tree().crush_weights()
    boots = {h: Registry(bench.sandbox.root).boots(h) for h in ("node0", "node1", "node2")}
    run = subprocess.Popen([sys.executable, "-m", "cephmaint.cli", "run", "maintenance",
                            "--all-hosts", "--reboot", "--reason", "kernel", "--follow"],
                           cwd=ROOT, env={**os.environ, **bench.env}, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watch = Watch(bench)
    poll(lambda: watch.look() or run.poll() is not None, timeout=800, interval=0.5,
         what="the rolling maintenance to end")
    out, err = run.communicate()
    assert run.returncode == 0, out + err
    assert "batch 1: node0" in out and "batch 3: node2" in out, out
    # Size 2, min_size 1: one host's OSDs down at a time, every host in turn, every PG
    # served throughout.
    assert watch.most_down == 2 and len(watch.down) == 6 and not watch.unavailable
    assert "noout" not in watch.cluster_flags
    assert {h: Registry(bench.sandbox.root).boots(h) - n for h, n in boots.items()} == {
        "node0": 1, "node1": 1, "node2": 1}
    assert bench.tree().crush_weights() == weights_before
    assert not any(bench.dump().host_flags(h) for h in boots)
    assert bench.sandbox.verify() == 400


def test_a_decommission_cancelled_mid_drain_ends_cancelled_and_its_changes_are_undone(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    weights_before = bench.tree().crush_weights()
    plan = bench.plan("decommission", "node2",
                      strategy=Strategy.DRAIN_FILL)
    handle = bench.submit(plan)
    wait_for_node(handle, "reweight-node2", NodeState.RUNNING)
    # Scrubs paused on the pools whose data moves, not cluster-wide.
    assert not bench.dump().flags & MOVE_FLAGS
    assert bench.paused_scrubs() and set(bench.paused_scrubs().values()) == {MOVE_FLAGS}
    assert bench.silence_states(plan.reference) == {"node2": ["active"]}

    handle.cancel()
    assert wait_finished(handle, 30) == WorkflowState.CANCELLED
    states = node_states(handle, plan)
    assert states["reweight-node2"] == NodeState.CANCELLED
    assert {states[s] for s in ("wait-healthy", "remove-node2", "restore")} == {"CANCELLED"}
    # The guardian, not a step of the workflow, raises the drained OSDs back in steps,
    # then lifts the flags and the downtime; status shows it doing so.
    shown = bench.cli("status", plan.reference)
    assert "undoing the maintenance's changes:" in shown.stdout, shown.stdout
    assert "raise osd.4, osd.5 back to their weights before the maintenance" in shown.stdout
    bench.wait_restored(plan.reference, ["node2"], after="the cancel", timeout=180)
    assert "node2" in bench.tree().hosts()
    bench.wait_healthy()
    assert bench.tree().crush_weights() == weights_before
    assert bench.sandbox.verify() == 400


@dataclass(frozen=True)
class Replacement:
    """node2's replacement, submitted, and where the cluster's and our records of it begin."""

    plan: MaintenancePlan
    handle: WorkflowHandle
    #: The monitors' time just before it was submitted (Ceph's audit log).
    mark: str
    #: Our time then (the audit trail).
    since: datetime


@pytest.fixture(scope="module")
def replacement(workflow_bench: WorkflowBench) -> Replacement:
    """node2 replaced by the spare: planned from the live cluster and submitted."""
    plan = workflow_bench.plan("replace", "node2", new_host=SPARE,
                                  strategy=Strategy.DRAIN_FILL)
    mark = workflow_bench.with_ceph(lambda c: audit_mark(c.client))
    since = datetime.now(UTC)
    return Replacement(plan, workflow_bench.submit(plan), mark, since)


def test_a_replacement_paused_mid_drain_dispatches_nothing_until_resumed(
        workflow_bench: WorkflowBench,
        replacement: Replacement) -> None:
    plan, handle = replacement.plan, replacement.handle
    wait_for_node(handle, "reweight-node2", NodeState.RUNNING)
    paused = workflow_bench.cli("pause", plan.reference, "--reason", "client peak")
    assert paused.returncode == 0, paused.stderr
    assert handle.status().state == WorkflowState.PAUSED
    # The running drain finishes its steps; what comes after waits for the operator.
    wait_for_node(handle, "reweight-node2", NodeState.SUCCESS, timeout=180)
    held = started(handle, plan)
    time.sleep(10)
    assert started(handle, plan) == held
    assert "wait-healthy" not in held
    assert handle.status().state == WorkflowState.PAUSED
    assert workflow_bench.tree().crush_weights(frozenset({4, 5})) == {4: 0.0, 5: 0.0}

    resumed = workflow_bench.cli("resume", plan.reference)
    assert resumed.returncode == 0, resumed.stderr
    wait_for_node(handle, "wait-healthy", NodeState.SUCCESS, timeout=180)


@pytest.mark.timeout(600)
def test_the_resumed_replacement_completes_once_a_technician_confirms(
        workflow_bench: WorkflowBench,
        replacement: Replacement) -> None:
    bench = workflow_bench
    plan, handle = replacement.plan, replacement.handle
    wait_for_node(handle, "confirm-node2", NodeState.RUNNING, timeout=240)
    assert "node2" not in bench.tree().hosts()
    time.sleep(5)  # a few looks of the gate: it holds without a confirmation
    assert handle.node("confirm-node2")["state"] == NodeState.RUNNING
    assert handle.node("add-spare-3.dc1")["state"] == NodeState.PENDING
    # No cluster-wide flag while people work: scrubs go on during a wait of days.
    assert not MOVE_FLAGS & bench.dump().flags and not bench.paused_scrubs()

    confirmed = bench.cli("confirm", plan.reference, "--by", "tech")
    assert confirmed.returncode == 0, confirmed.stderr
    assert wait_finished(handle, 400) == WorkflowState.SUCCESS, handle.status().to_dict()

    assert bench.sandbox.verify() == 400
    assert bench.with_ceph(lambda c: c.status()).health.ok
    hosts = bench.tree().hosts()
    assert "node2" not in hosts and len(hosts[SPARE]) == 3
    # The spare's 2 TiB disks weigh 2, not the old host's 1; the plan said data would move
    # between the other hosts too.
    assert set(bench.tree().crush_weights(hosts[SPARE]).values()) == {2.0}
    assert [w for w in plan.warnings if "data moves between hosts" in w], plan.warnings
    assert bench.with_ceph(lambda c: c.osd_df()).pgs_on(hosts[SPARE]) > 0
    assert bench.restored(plan.reference, ["node2", SPARE])

    # Every change Ceph received from cephmaint during the replacement is in our trail,
    # written before it was sent, with the operator's actions around it.
    sent = dispatched(bench.with_ceph(lambda c: changes_since(c.client, replacement.mark)))
    assert sent, "Ceph logged no change from cephmaint"
    trail = bench.audit().records(Query(since=replacement.since))
    assert missing_from_trail(sent, trail) == []
    ours = [r for r in trail if r.entry.reference == plan.reference]
    assert {r.outcome for r in ours} == {Outcome.DONE}
    assert [r.entry.action for r in ours if r.entry.kind == Kind.OPERATOR] == [
        "start", "pause", "resume", "confirm"]
    assert {r.entry.kind for r in ours} == {Kind.OPERATOR, Kind.CEPH, Kind.SSH,
                                           Kind.DOWNTIME, Kind.RECORD}
    audited = bench.cli("audit", "--reference", plan.reference, "--kind", "operator")
    assert audited.returncode == 0, audited.stderr
    assert re.search(r"operator +done +tech +\S+ +- +" + re.escape(plan.reference)
                     + r" +confirm", audited.stdout), audited.stdout

    shown = bench.cli("status", plan.reference)
    assert shown.returncode == 0, shown.stderr
    total = len(plan.steps)
    assert f"SUCCESS  [{'#' * 30}] {total}/{total}" in shown.stdout
    for step in plan.steps:
        assert f"{step.title}  (success)" in shown.stdout


@pytest.mark.timeout(600)
def test_an_osd_down_elsewhere_fails_the_drain_at_its_deadline_and_retry_completes_it(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    leases = RedisLeases.from_url(bench.settings.redis_url)
    # Short enough to reach while the OSD is down; long enough for node1's own data.
    plan = bench.plan("decommission", "node1", timing=replace(TIMING, healthy=40),
                      strategy=Strategy.DRAIN_FILL)
    handle = bench.submit(plan)
    wait_for_node(handle, "reweight-node1", NodeState.RUNNING)
    bench.hostctl("node0", "stop-osd", "0")
    try:
        assert wait_finished(handle, 300) == WorkflowState.FAILURE
        failed = handle.status().failed
        assert list(failed) == ["wait-healthy"], failed
        assert failed["wait-healthy"]["type"] == "DeadlineExceeded"
        assert "OSD_DOWN" in failed["wait-healthy"]["message"]
        assert handle.node("remove-node1")["state"] == NodeState.PENDING
        bench.wait_restored(plan.reference, ["node1"], after="the failure")
        # Flags and downtime are back; the drain is left as it is, and status says so.
        shown = bench.cli("status", plan.reference).stdout
        assert f"partly drained: `cephmaint retry {plan.reference}` resumes" in shown, shown
    finally:
        bench.hostctl("node0", "start-osd", "0")
    bench.wait_healthy()
    # The cluster is still in this maintenance, passes of its guardian later: its lease
    # stays, and a new maintenance of its host is refused.
    time.sleep(2 * DEFAULT_INTERVAL)
    assert [h.reference for h in leases.holders(plan.cluster)] == [plan.reference]
    again = bench.cli("run", "decommission", "node1")
    assert again.returncode == 1, again
    assert f"host node1 is already in workflow {plan.reference}" in again.stderr, again

    redone = retry(handle, bench.app)
    assert redone == ["flags-on", "movers-off", "downtime-on-node1"]
    assert bench.paused_scrubs()
    assert wait_finished(handle, 300) == WorkflowState.SUCCESS, handle.status().to_dict()
    assert "node1" not in bench.tree().hosts()
    assert bench.sandbox.verify() == 400
    assert bench.with_ceph(lambda c: c.status()).health.ok
    assert bench.restored(plan.reference, ["node1"])
    poll(lambda: leases.holders(plan.cluster) == [], timeout=30, interval=0.5,
         what="the lease of the finished maintenance to be released")


def test_with_two_hosts_left_decommission_of_either_is_refused_at_plan_time(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    # The earlier maintenances' guardians have dropped their ledger's copies on the
    # cluster: what the monitors log from here on is this test's.
    poll(lambda: not bench.copies(), timeout=60, interval=0.5,
         what=lambda _: f"the earlier maintenances settled: {bench.copies()}")
    tree, flags = bench.tree(), (bench.dump().flags, bench.dump().pool_flags)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    left = sorted(h for h, osds in tree.hosts().items() if osds)
    assert left == ["node0", "spare-3.dc1"]
    for host in left:
        refusal = (rf"decommission of {re.escape(host)} .* refused, nothing changed: "
                   r".*pool data \(size 2\) .* only 1 host would be left")
        with pytest.raises(PlanRefused, match=refusal):
            bench.plan("decommission", host)
        for command in ("plan", "run"):
            shown = bench.cli(command, "decommission", host)
            assert shown.returncode == 1, shown.stderr
            assert "pool data (size 2)" in shown.stderr and shown.stdout == ""
            assert len(shown.stderr.strip().splitlines()) == 1
    # A run whose broker cannot be reached is refused before the cluster is even read.
    dead = bench.cli("run", "replace", "node0", "--broker-url", "amqp://127.0.0.1:1//")
    assert dead.returncode == 3 and "broker at amqp://127.0.0.1:1// cannot be" in dead.stderr
    assert bench.tree() == tree
    assert (bench.dump().flags, bench.dump().pool_flags) == flags
    # Ceph's own record: the monitors received no state-changing command meanwhile.
    assert bench.with_ceph(lambda c: changes_since(c.client, mark)) == []
    assert bench.sandbox.verify() == 400
