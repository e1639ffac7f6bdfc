"""A disk replacement keeps the OSD id, and only the new disk's serial lets it go on.

A failed disk (its OSD down) is not drained: marked out at once, its data recovered from
the other copies, then destroyed, swapped and raised back on the new disk. A host that never
comes back from a reboot is held under its noout, and the operator turns the maintenance
into a decommission that recovers its data from the surviving copies.
"""

from __future__ import annotations

import time

import pytest

from ceph_tasks.decisions.host_back import given_up_key
from dyrygent.errors import UnknownWorkflowError
from dyrygent.states import NodeState, WorkflowState
from inventory import Inventory, write_inventory
from tests.integration.workflows.conftest import WorkflowBench
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.workflows import wait_finished, wait_for_node
from workflows.errors import PlanRefused
from workflows.host_work import Work

pytestmark = pytest.mark.integration

NEW_SERIAL = "NEWDISK-0001"


def test_a_disk_is_replaced_keeping_its_osd_id_once_the_new_serial_is_confirmed(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    device = bench.cluster.osd(5).device
    old_serial = bench.cluster.host("node2").device(device).serial
    plan = bench.plan("disk", "osd.5")
    assert plan.osds == (5,) and plan.hosts == ("node2",)
    handle = bench.submit(plan)
    gate = next(s.id for s in plan.steps if s.task == "cephmaint.wait_for_technician")
    wait_for_node(handle, gate, NodeState.RUNNING, timeout=240)
    assert bench.tree().node(5) is not None and bench.tree().node(5).status == "destroyed"

    bench.hostctl("node2", "swap-disk", device, NEW_SERIAL)
    for wrong in (old_serial or "SBX-OLD", "TYPO-0001"):
        refused = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                            f"serial={wrong}")
        assert refused.returncode == 0, refused.stderr
        time.sleep(6)  # several looks of the gate
        assert handle.node(gate)["state"] == NodeState.RUNNING
    confirmed = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                          f"serial={NEW_SERIAL}")
    assert confirmed.returncode == 0, confirmed.stderr

    assert wait_finished(handle, timeout=300) == WorkflowState.SUCCESS
    tree = bench.tree()
    assert tree.host_of(5) == "node2" and tree.node(5).up
    assert tree.crush_weights(frozenset({5})) == {5: 1.0}
    assert bench.sandbox.verify() == 400
    assert not {"noscrub", "nodeep-scrub"} & bench.dump().flags


def all_active(bench: WorkflowBench) -> bool:
    """Every PG active again, those of the dead disk undersized: the PG map has seen it go
    (the manager reports PG states seconds after the osdmap changes)."""
    pgs = bench.with_ceph(lambda c: c.status()).pgmap
    return (pgs.num_pgs > 0 and pgs.count_in("active") == pgs.num_pgs
            and pgs.count_in("undersized") > 0)


def test_a_failed_disk_is_replaced_without_a_drain_its_data_recovered_then_back_once(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    bench.wait_healthy()
    device = bench.cluster.osd(3).device
    weight = bench.tree().crush_weights(frozenset({3}))[3]
    bench.hostctl("node1", "stop-osd", "3")  # the disk dies
    poll(lambda: not bench.tree().node(3).up, timeout=60, interval=0.5,  # type: ignore[union-attr]
         what=lambda _: "osd.3 reported down")
    # Its PGs peer again without it for a moment: a start then would be refused (inactive).
    poll(lambda: all_active(bench), timeout=60, interval=0.5,
         what=lambda _: "every PG active again without osd.3")
    # Not failed: up and holding PGs. A drain of the dead disk: the cluster is not healthy.
    with pytest.raises(PlanRefused, match=r"osd\.2 is up and holds [0-9]+ PGs"):
        bench.plan("disk", "osd.2", failed=True)
    drain = bench.cli("run", "disk", "osd.3")
    assert drain.returncode == 1 and "OSD_DOWN" in drain.stderr, drain.stderr

    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    plan = bench.plan("disk", "osd.3", failed=True)
    handle = bench.submit(plan)
    gate = next(s.id for s in plan.steps if s.task == "cephmaint.wait_for_technician")
    wait_for_node(handle, gate, NodeState.RUNNING, timeout=240)
    node = bench.tree().node(3)
    assert node is not None and node.status == "destroyed" and node.out
    # Marked out by the maintenance, not by the monitor after mon_osd_down_out_interval.
    assert handle.node("out-failed-3")["result"]["marked_out_at"]

    bench.hostctl("node1", "swap-disk", device, "NEWDISK-0003")
    confirmed = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                          "serial=NEWDISK-0003")
    assert confirmed.returncode == 0, confirmed.stderr
    assert wait_finished(handle, timeout=300) == WorkflowState.SUCCESS
    tree = bench.tree()
    assert tree.host_of(3) == "node1" and tree.node(3).up  # type: ignore[union-attr]
    assert tree.crush_weights(frozenset({3})) == {3: weight}
    assert bench.sandbox.verify() == 400
    bench.wait_restored(plan.reference, ["node1"], after="the failed disk's replacement")
    # Ceph's own log: osd.3 marked out once, never drained (its first CRUSH change is the
    # new OSD's, after the swap), and no cluster-wide flag. The new OSD is made by the
    # sandbox's ceph-volume, as client.admin: every client's commands are read.
    sent = bench.with_ceph(lambda c: changes_since(c.client, mark, entity=None))
    outs = [m for m in sent if '"prefix": "osd out"' in m and ": dispatch" in m]
    assert len(outs) == 1 and '"ids": ["3"]' in outs[0], sent
    reweights = [i for i, m in enumerate(sent) if '"prefix": "osd crush reweight"' in m]
    created = next(i for i, m in enumerate(sent) if '"prefix": "osd new"' in m)
    assert reweights and min(reweights) > created, sent
    assert not [m for m in sent if '"prefix": "osd set", "key"' in m], sent


@pytest.mark.full
@pytest.mark.timeout(600)
def test_a_host_that_never_comes_back_is_held_then_decommissioned_from_its_surviving_copies(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    bench.wait_healthy()
    cluster = bench.cluster
    write_inventory(Inventory(clusters=(cluster.model_copy(update={"max_down_seconds": 5}),)),
                    bench.inventory_path)
    try:
        bench.hostctl("node2", "die-on-next-boot")  # a mainboard that dies in the reboot
        plan = bench.plan("maintenance", "node2", reason="firmware", work=Work.REBOOT)
        handle = bench.submit(plan)
        # Past max_down: held under the host's own noout, the operators told, nothing out.
        poll(lambda: any(k.startswith("host-overdue:node2:")
                         for k in bench.ledger().entries(plan.reference)),
             timeout=180, interval=1, what=lambda _: handle.status().to_dict())
        shown = bench.cli("status", plan.reference).stdout
        assert "held: node2 down" in shown and "cephmaint extend" in shown, shown
        assert bench.dump().host_flags("node2") == {"noout"}
        tree = bench.tree()
        assert not any(tree.node(o).up or tree.node(o).out for o in (4, 5))  # type: ignore[union-attr]
        extended = bench.cli("extend", plan.reference, "--minutes", "10", "--reason", "tech")
        assert extended.returncode == 0, extended.stderr
        poll(lambda: "waiting for node2" in bench.cli("status", plan.reference).stdout,
             timeout=60, interval=1, what=lambda _: "the hold lifted by the extension")

        wrong = bench.cli("decommission-instead", plan.reference, "--host", "node1",
                          "--reason", "typo")
        assert wrong.returncode == 2 and "holds no host down past its time named node1" \
            in wrong.stderr, wrong.stderr
        mark = bench.with_ceph(lambda c: audit_mark(c.client))
        given = bench.cli("decommission-instead", plan.reference, "--reason", "mainboard dead")
        assert given.returncode == 0, given.stderr
        decided = bench.ledger().recall(plan.reference, given_up_key("node2"))
        assert isinstance(decided, dict) and decided["reason"] == "mainboard dead"
        assert wait_finished(handle, timeout=120) == WorkflowState.CANCELLED

        def started() -> bool:
            try:
                return bench.handle(decided["decommission"]).status() is not None
            except UnknownWorkflowError:
                return False

        poll(started, timeout=120, interval=1, what=lambda _: "the queued decommission")
        decommission = bench.handle(decided["decommission"])
        assert wait_finished(decommission, timeout=300) == WorkflowState.SUCCESS, \
            decommission.status().to_dict()
    finally:
        write_inventory(Inventory(clusters=(cluster,)), bench.inventory_path)
    assert "node2" not in bench.tree().hosts()
    assert bench.sandbox.verify() == 400
    assert bench.with_ceph(lambda c: c.status()).health.ok
    assert bench.restored(decided["decommission"], ["node2"])
    assert not bench.dump().host_flags("node2")
    # Ceph's own log: node2's OSDs marked out (once each) and purged, never drained.
    sent = bench.with_ceph(lambda c: changes_since(c.client, mark))
    outs = [m for m in sent if '"prefix": "osd out"' in m and ": dispatch" in m]
    for osd in (4, 5):
        assert len([m for m in outs if f'"ids": ["{osd}"]' in m]) == 1, sent
    assert not [m for m in sent if '"prefix": "osd crush reweight"' in m], sent
