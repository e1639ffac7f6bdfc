"""One maintenance per cluster: a second `run` refused naming the first, `run --queue` started
by itself when the first ends (or taken out of line by a cancel), `list` showing them all in
their states, a host in a live maintenance refused always.

The first maintenance is a decommission of node1 paused after its first step (a read-only
health guard): it holds the cluster's lease without moving data, so every refusal can be
checked against Ceph's audit log. When it is cancelled the queued one waits while PGs are
not clean (backfill held with nobackfill), and starts once they are.
"""

from __future__ import annotations

import getpass
import json
import re
import time

import pytest

from dyrygent.errors import UnknownWorkflowError
from dyrygent.states import NodeState, WorkflowState
from inventory import Inventory, load_inventory, write_inventory
from tests.integration.workflows.conftest import WorkflowBench, node_states
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.workflows import wait_finished, wait_for_node
from workflows.engine import worker_app
from workflows.leases import RedisLeases
from workflows.submission import submit

pytestmark = pytest.mark.integration

#: Seconds the first maintenance's lease lives unless renewed: longer than a guardian's
#: interval between looks (5 s), far shorter than the test.
LEASE = 8.0


def records(bench: WorkflowBench) -> set[bytes]:
    """The keys of maintenance records and stored workflows in the bench's Redis."""
    client = bench.ledger().client
    return set(client.keys("cephmaint:ledger:*")) | {
        k.split(b"}")[0] for k in client.keys("dyrygent:{*")}


def limit(bench: WorkflowBench, most: int) -> None:
    """Let the inventory run up to `most` maintenances on the cluster at once."""
    [cluster] = load_inventory(bench.inventory_path).clusters
    write_inventory(Inventory(clusters=(cluster.model_copy(
        update={"max_concurrent_maintenances": most}),)), bench.inventory_path)


def started(bench: WorkflowBench, reference: str) -> WorkflowState | None:
    """The state of a workflow, or None while it is not stored (still queued)."""
    try:
        return bench.handle(reference).status().state
    except UnknownWorkflowError:
        return None


@pytest.mark.timeout(300)
def test_a_busy_cluster_refuses_a_second_run_queues_one_and_starts_it_when_freed(
        workflow_bench: WorkflowBench) -> None:
    bench = workflow_bench
    first = bench.plan("decommission", "node1")
    # A short lease: it lasts through the test only if the guardian renews it.
    short = worker_app(bench.settings.model_copy(update={"lease_seconds": LEASE}),
                       name="short-lease")
    handle = submit(first, short)
    submitted = time.monotonic()
    handle.pause()
    wait_for_node(handle, "check-healthy", NodeState.SUCCESS)
    assert {s for s, state in node_states(handle, first).items()
            if state not in (NodeState.PENDING, NodeState.READY)} == {"check-healthy"}
    tree, flags = bench.tree(), (bench.dump().flags, bench.dump().pool_flags)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    before = records(bench)

    busy = bench.cli("run", "decommission", "node2")
    assert busy.returncode == 1 and busy.stdout == "", busy
    assert [line for line in busy.stderr.splitlines() if line.strip()] == [busy.stderr.strip()]
    assert f"workflow {first.reference} (hosts node1) holds its lease" in busy.stderr
    assert "--queue waits for it" in busy.stderr
    # The same host again, or another maintenance of it: refused whatever --queue says.
    for words in (("decommission", "node1"), ("replace", "node1", "--queue")):
        twice = bench.cli("run", *words)
        assert twice.returncode == 1 and twice.stdout == "", twice
        assert f"host node1 is already in workflow {first.reference}" in twice.stderr
    # Two at once allowed: still refused, the pools could not do without both hosts.
    limit(bench, 2)
    try:
        together = bench.cli("run", "decommission", "node2")
    finally:
        limit(bench, 1)
    assert together.returncode == 1 and together.stdout == "", together
    assert f"together with workflow {first.reference}" in together.stderr
    assert "pool data (size 2)" in together.stderr

    queued = bench.cli("run", "decommission", "node2", "--queue")
    assert queued.returncode == 0, queued.stderr
    found = re.search(r"queued workflow (\S+), position 1:", queued.stdout)
    assert found, queued.stdout
    second = found[1]
    shown = bench.cli("status", second)
    assert shown.returncode == 0, shown.stderr
    assert f"workflow {second}: queued, position 1 on cluster" in shown.stdout
    assert started(bench, second) is None
    # A second in line, then taken out of it by a cancel.
    behind = bench.cli("run", "disk", "osd.0", "--queue")
    found = re.search(r"queued workflow (\S+), position 2:", behind.stdout)
    assert behind.returncode == 0 and found, behind
    third = found[1]
    assert "queued, position 2" in bench.cli("status", third).stdout
    listed = {r["reference"]: r for r in json.loads(bench.cli("list", "--json").stdout)}
    assert [(listed[r]["state"], listed[r]["by"]) for r in (first.reference, second, third)
            ] == [("paused", getpass.getuser()), ("queued", getpass.getuser()),
                  ("queued", getpass.getuser())]
    assert listed[third]["detail"] == "position 2 in the queue"
    dropped = bench.cli("cancel", third)
    assert dropped.returncode == 0 and "taken out of the queue" in dropped.stdout, dropped
    assert bench.cli("status", third).returncode == 2

    leases = RedisLeases.from_url(bench.settings.redis_url)
    time.sleep(max(0.0, 2 * LEASE - (time.monotonic() - submitted)))
    assert [h.reference for h in leases.holders(first.cluster)] == [first.reference]

    # Nothing of the refused runs anywhere: no record, no workflow, no change in Ceph.
    assert records(bench) == before
    assert bench.with_ceph(lambda c: changes_since(c.client, mark)) == []
    assert bench.tree() == tree and (bench.dump().flags, bench.dump().pool_flags) == flags

    # Data still moving when the lease frees: the queued one waits, as `run` would refuse.
    def ceph_says(prefix: str, **args: object) -> None:
        bench.with_ceph(lambda c: c.client.mon_command(prefix, **args))
    ceph_says("osd set", key="nobackfill")
    ceph_says("osd out", ids=["0"])
    handle.cancel()
    assert wait_finished(handle, 30) == WorkflowState.CANCELLED
    poll(lambda: "waiting until the cluster is healthy" in bench.cli("status", second).stdout,
         timeout=60, interval=0.5, what="the queued decommission to wait for a clean cluster")
    assert "queued, position 1" in bench.cli("status", second).stdout
    assert started(bench, second) is None
    ceph_says("osd in", ids=["0"])
    ceph_says("osd unset", key="nobackfill")
    # Clean again: the queued one starts by itself within a look.
    state = poll(lambda: started(bench, second), timeout=60, interval=0.5,
                 what="the queued decommission of node2 to start")
    assert state in (WorkflowState.RUNNING, WorkflowState.SUCCESS), state
    second_handle = bench.handle(second)
    second_handle.pause()
    assert [h.reference for h in leases.holders(first.cluster)] == [second]
    shown = bench.cli("status", second)
    assert "queued" not in shown.stdout, shown.stdout
    again = bench.cli("run", "disk", "osd.4", "--queue")
    assert again.returncode == 1 and f"already in workflow {second}" in again.stderr

    second_handle.cancel()
    assert wait_finished(second_handle, 30) == WorkflowState.CANCELLED
    poll(lambda: leases.holders(first.cluster) == [], timeout=30, interval=0.5,
         what="the lease of the cancelled maintenance to be released")
