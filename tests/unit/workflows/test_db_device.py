"""A device holding several OSDs' DB/WAL is replaced as one unit with all of them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inventory import Cluster
from tests.unit.workflows.test_failed_disk import with_osd_down
from workflows.errors import PlanRefused
from workflows.planning import Kind, plan_maintenance
from workflows.state import ClusterState


def with_shared_db(cluster: Cluster) -> Cluster:
    """node2's /dev/sdd is an NVMe holding the DBs of osd.4 and osd.5."""
    data = cluster.model_dump()
    [node2] = [h for h in data["hosts"] if h["name"] == "node2"]
    node2["devices"][2].update(db=True, bay="M2", serial="NVME-1")
    for osd in data["osds"]:
        if osd["host"] == "node2":
            osd["db_device"] = "/dev/sdd"
    return Cluster.model_validate(data)


def tasks(plan: object) -> list[str]:
    return [s.task.removeprefix("cephmaint.") for s in plan.steps]  # type: ignore[attr-defined]


def test_the_osds_sharing_a_db_device_are_drained_destroyed_and_recreated_together(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_maintenance(Kind.DISK, "node2", cluster=with_shared_db(cluster),
                            state=healthy, db_device="/dev/sdd", reference="db1")
    assert plan.kind == "DB device replacement" and plan.osds == (4, 5)
    assert tasks(plan) == [
        "check_healthy_to_start", "check_ok_to_stop", "set_flags", "pause_movers",
        "set_downtime", "reweight", "wait_healthy", "check_safe_to_destroy", "remove_node",
        "zap_devices", "restore", "notify_technicians", "wait_for_technician", "set_flags",
        "pause_movers", "add_node", "reweight", "wait_healthy", "restore", "deep_scrub_osds",
    ]
    by_task = {s.task.removeprefix("cephmaint."): s.kwargs for s in plan.steps}
    assert by_task["check_ok_to_stop"]["osd_ids"] == [4, 5]
    assert by_task["remove_node"]["osd_ids"] == [4, 5] and by_task["remove_node"]["mode"] == \
        "destroy"
    assert by_task["zap_devices"]["osd_ids"] == [4, 5]
    # One swap, of the DB device, checked by its new serial; the OSDs back on their disks.
    assert by_task["wait_for_technician"]["device_paths"] == ["/dev/sdd"]
    assert by_task["wait_for_technician"]["expect_serials"] == 1
    assert by_task["add_node"]["devices"] == ["/dev/sdb", "/dev/sdc"]
    assert "replace the DB device /dev/sdd (osd.4, osd.5) in bay M2" in plan.render()


def test_a_failed_db_device_recovers_its_osds_instead_of_draining_them(
    cluster: Cluster, healthy: ClusterState
) -> None:
    down = with_osd_down(with_osd_down(healthy, 4), 5)
    plan = plan_maintenance(Kind.DISK, "node2", cluster=with_shared_db(cluster), state=down,
                            db_device="/dev/sdd", failed=True)
    assert plan.kind == "failed DB device replacement" and plan.failed == (4, 5)
    assert tasks(plan)[:8] == [
        "check_healthy_to_start", "set_flags", "pause_movers", "set_downtime",
        "out_failed_osd", "out_failed_osd", "remove_node", "zap_devices"]


def test_a_device_holding_no_osds_db_is_refused(cluster: Cluster, healthy: ClusterState
                                                ) -> None:
    with pytest.raises(PlanRefused, match="no OSD of node2 keeps its DB there"):
        plan_maintenance(Kind.DISK, "node2", cluster=cluster, state=healthy,
                         db_device="/dev/sdd")


def test_an_osd_whose_db_device_is_not_a_db_device_of_its_host_is_refused(
    cluster: Cluster,
) -> None:
    data = with_shared_db(cluster).model_dump()
    data["osds"][0]["db_device"] = "/dev/sdd"  # osd.0 on node0, whose sdd is a plain disk
    with pytest.raises(ValidationError, match=r"osd.0 keeps its DB on /dev/sdd, which is not "
                                              r"a DB device \(db: true\) of host node0"):
        Cluster.model_validate(data)
    data = with_shared_db(cluster).model_dump()
    data["osds"][4]["device"] = "/dev/sdd"
    with pytest.raises(ValidationError, match="but it is a DB device"):
        Cluster.model_validate(data)
