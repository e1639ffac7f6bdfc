"""A fast device holding the DBs of a host's BlueStore OSDs, replaced with all of them.

BlueStore on files: h3's two OSDs keep their DBs on one shared device. Replacing it drains
both, destroys them with their ids kept, zaps their data disks, waits for the technician's
swap of the DB device (its new serial checked) and makes both again on their disks, each
with a new DB on the new device.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cephmaint.sandbox.cluster import connect
from cephmaint.sandbox.layout import db_path
from cephmaint.sandbox.topology import Topology, load_topology
from dyrygent.states import NodeState, WorkflowState
from tests.integration.sandbox.test_topologies import BLUESTORE
from tests.integration.workflows.conftest import WorkflowBench, bench_on
from tests.support.workflows import wait_finished, wait_for_node

pytestmark = [pytest.mark.integration, pytest.mark.full]

DB = "/dev/sandbox/h3-nvme0n1"


@pytest.fixture(scope="module")
def blue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    root = tmp_path_factory.mktemp("db-device")
    (root / "blue.yaml").write_text(BLUESTORE)
    topology: Topology = load_topology(root / "blue.yaml")
    with bench_on(root, topology) as bench:
        yield bench


@pytest.mark.timeout(600)
def test_a_shared_db_device_is_replaced_with_every_osd_keeping_its_db_there(
        blue: WorkflowBench) -> None:
    bench = blue
    group = sorted(o.id for o in bench.cluster.osds_on("h3"))
    assert {o.db_device for o in bench.cluster.osds_on("h3")} == {DB}
    shown = bench.cli("plan", "disk", "h3", "--db-device", DB)
    assert shown.returncode == 0, shown.stderr
    assert f"replace the DB device {DB} (osd.{group[0]}, osd.{group[1]})" in shown.stdout

    plan = bench.plan("disk", "h3", db_device=DB)
    handle = bench.submit(plan)
    gate = next(s.id for s in plan.steps if s.task == "cephmaint.wait_for_technician")
    wait_for_node(handle, gate, NodeState.RUNNING, timeout=300)
    tree = bench.tree()
    assert all(tree.node(o).status == "destroyed" for o in group)  # type: ignore[union-attr]
    zapped = {k for k in bench.ledger().entries(plan.reference) if k.startswith("zap:h3:")}
    assert zapped == {f"zap:h3:{o.device}" for o in bench.cluster.osds_on("h3")}

    bench.hostctl("h3", "swap-disk", DB, "NVME-NEW-1")
    confirmed = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                          "serial=NVME-NEW-1")
    assert confirmed.returncode == 0, confirmed.stderr
    assert wait_finished(handle, timeout=400) == WorkflowState.SUCCESS, \
        handle.status().to_dict()

    tree = bench.tree()
    assert sorted(tree.hosts()["h3"]) == group
    assert tree.crush_weights(frozenset(group)) == dict.fromkeys(group, 1.0)
    layout = bench.sandbox.layout()
    with connect(layout) as mon:
        meta = {int(m["id"]): m for m in mon.command("osd metadata")}
    assert {meta[o]["bluefs_dedicated_db"] for o in group} == {"1"}
    assert all(db_path(layout, layout.host("h3"), o).exists() for o in group)
    assert bench.sandbox.verify() == 40
    assert bench.with_ceph(lambda c: c.status()).health.ok
    assert bench.restored(plan.reference, ["h3"])
