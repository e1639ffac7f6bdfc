"""A disk replacement keeps the OSD id, and only the new disk's serial lets it go on."""

from __future__ import annotations

import time

import pytest

from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import WorkflowBench
from tests.support.workflows import wait_finished, wait_for_node

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
