"""What is left to remove a host's OSDs, read from the CRUSH tree at each stage."""

from __future__ import annotations

from ceph_tasks.ceph.models import OsdTree
from ceph_tasks.decisions.removal_plan import RemovalMode, plan_removal
from tests.unit.ceph_tasks.crush_maps import captured_tree, tree

PURGE, DESTROY = RemovalMode.PURGE, RemovalMode.DESTROY


def node2(*osds: tuple[int, float, dict[str, object]]) -> OsdTree:
    return tree({"r": {"node1": [(2, 1.0)], "node2": list(osds)}})


def test_a_host_in_service_needs_every_step() -> None:
    plan = plan_removal(captured_tree("healthy"), "node2", PURGE)
    assert (plan.osds, plan.to_out, plan.to_stop, plan.to_remove) == ((4, 5),) * 4
    assert plan.remove_bucket and not plan.done


def test_osds_already_out_are_only_stopped_and_purged() -> None:
    plan = plan_removal(captured_tree("host_out"), "node2", PURGE)
    assert (plan.to_out, plan.to_stop, plan.to_remove) == ((), (4, 5), (4, 5))


def test_down_osds_are_not_stopped_again() -> None:
    plan = plan_removal(node2((4, 0.0, {"status": "down", "reweight": 0}),
                              (5, 0.0, {"reweight": 0})), "node2", PURGE)
    assert (plan.to_out, plan.to_stop, plan.to_remove) == ((), (5,), (4, 5))


def test_destroy_keeps_the_bucket_and_skips_destroyed_osds() -> None:
    half = node2((4, 0.0, {"status": "destroyed", "reweight": 0}),
                 (5, 0.0, {"status": "down", "reweight": 0}))
    plan = plan_removal(half, "node2", DESTROY)
    assert (plan.osds, plan.to_remove, plan.remove_bucket) == ((4, 5), (5,), False)
    gone = node2((4, 0.0, {"status": "destroyed", "reweight": 0}),
                 (5, 0.0, {"status": "destroyed", "reweight": 0}))
    assert plan_removal(gone, "node2", DESTROY).done


def test_purge_also_takes_osds_destroyed_earlier() -> None:
    destroyed = node2((4, 0.0, {"status": "destroyed", "reweight": 0}))
    plan = plan_removal(destroyed, "node2", PURGE)
    assert (plan.to_out, plan.to_stop, plan.to_remove, plan.remove_bucket) == (
        (), (), (4,), True)


def test_an_empty_bucket_is_all_that_is_left_then_nothing() -> None:
    empty = node2()
    plan = plan_removal(empty, "node2", PURGE)
    assert plan.osds == () and plan.remove_bucket and not plan.done
    assert plan_removal(empty, "node2", DESTROY).done
    assert plan_removal(captured_tree("healthy"), "node3", PURGE).done


def test_destroying_one_disk_touches_only_its_osd_and_keeps_the_bucket() -> None:
    plan = plan_removal(captured_tree("healthy"), "node2", DESTROY, only={5})
    assert plan.osds == (5,)
    assert plan.to_out == (5,) and plan.to_stop == (5,) and plan.to_remove == (5,)
    assert not plan.remove_bucket
