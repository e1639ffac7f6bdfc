"""Recover: what a lost workflow left in effect on its cluster, and the plan putting it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.models import OsdDump, OsdTree, Pool
from ceph_tasks.ceph.models.config_db import ConfigEntry
from ceph_tasks.decisions.downtime_window import window_key
from ceph_tasks.decisions.flag_plan import FlagTarget
from ceph_tasks.decisions.movers import BALANCER_KEY
from ceph_tasks.decisions.recovery_settings import setting_key
from ceph_tasks.decisions.restoration import daemon_key
from ceph_tasks.decisions.reweight_plan import ledger_key as weight_key
from ceph_tasks.names import ORIGINAL_WEIGHT, TaskName
from workflows.concurrency import Holder
from workflows.recovery import RECOVER, leftovers, orphan_leases, plan_recovery

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "ceph" / "healthy" / "osd_tree.json"
POOLS = [Pool(pool_id=1, pool_name="rbd", size=2, min_size=1, crush_rule=0,
              pg_autoscale_mode="on")]


def tree(weights: dict[int, float], down: tuple[int, ...] = ()) -> OsdTree:
    """The sandbox's tree (node0-2, osd.0-5 at 1.0) with some weights and states changed."""
    data = json.loads(TREE.read_text())
    for node in data["nodes"]:
        if node["id"] in weights:
            node["crush_weight"] = weights[node["id"]]
        if node["id"] in down:
            node["status"] = "down"
    return OsdTree.model_validate(data)


def dump(**extra: Any) -> OsdDump:
    return OsdDump.model_validate({"epoch": 9, "pools": [{"pool_name": "rbd",
                                                          "flags_names": "hashpspool"}],
                                   **extra})


#: A decommission of node2 whose workflow was lost halfway through its drain.
DRAIN = {FlagTarget("noscrub", pool="rbd").ledger_key: False,
         BALANCER_KEY: {"active": True, "mode": "upmap"},
         window_key("node2"): {"start": "2026-12-05T10:00:00+00:00"},
         weight_key(4): 1.0, weight_key(5): 1.0}


def test_a_lost_drain_leaves_its_flags_balancer_weights_and_downtime_in_effect() -> None:
    dumped = dump(pools=[{"pool_name": "rbd", "flags_names": "hashpspool,noscrub"}])
    [left] = leftovers({"decommission.node2.1": DRAIN}, set(), dumped,
                       tree({4: 0.25, 5: 0.25}), POOLS, {"active": False})
    assert left.reference == "decommission.node2.1" and not left.settled
    assert left.in_effect == ("osd pool set rbd noscrub 0", "balancer on",
                              "osd.4 CRUSH weight 0.25, was 1",
                              "osd.5 CRUSH weight 0.25, was 1",
                              "monitoring downtime of host node2")
    assert left.weights == (4, 5) and left.hosts == ("node2",)


def test_a_maintenance_whose_workflow_is_still_in_the_store_is_not_a_leftover() -> None:
    assert leftovers({"decommission.node2.1": DRAIN}, {"decommission.node2.1"}, dump(),
                     tree({4: 0.25}), POOLS, {"active": False}) == []


def test_what_someone_already_put_back_is_not_in_effect_and_only_copies_are_left() -> None:
    records = {k: v for k, v in DRAIN.items() if not k.startswith("downtime")}
    [left] = leftovers({"ref-1": records}, set(), dump(), tree({}), POOLS, {"active": True})
    assert left.settled and left.in_effect == () and left.weights == ()


def test_only_drained_osds_still_up_and_placed_are_raised_back() -> None:
    # osd.4 is down (its disk gone), osd.1 was added by the maintenance (recorded at 0 and
    # raised): neither is taken anywhere; osd.9 was purged.
    records = {weight_key(4): 1.0, weight_key(1): 0.0, weight_key(9): 1.0, weight_key(5): 1.0}
    [left] = leftovers({"ref-1": records}, set(), dump(), tree({4: 0.0, 5: 0.5}, down=(4,)),
                       POOLS, {"active": True})
    assert left.weights == (5,)


def test_stopped_osds_count_only_while_they_are_down() -> None:
    records = {daemon_key("node1", 2): True, daemon_key("node1", 3): True}
    [left] = leftovers({"ref-1": records}, set(), dump(), tree({}, down=(3,)), POOLS,
                       {"active": True})
    assert left.in_effect == ("osd.3 on host node1 stopped by it (down now)",)
    assert left.hosts == ("node1",)


def test_a_lease_whose_workflow_is_gone_is_an_orphan() -> None:
    held = [Holder("ref-1", ("node2",), 4), Holder("ref-2", ("node1",), 5)]
    assert orphan_leases(held, {"ref-2"}) == [Holder("ref-1", ("node2",), 4)]


def test_the_recovery_raises_weights_under_the_throttle_then_runs_the_one_restore() -> None:
    [left] = leftovers({"decommission.node2.1": DRAIN}, set(), dump(),
                       tree({4: 0.25, 5: 0.25}), POOLS, {"active": False})
    plan = plan_recovery("lab", left)
    assert plan.kind == RECOVER and plan.reference == "decommission.node2.1"
    weights, restore = plan.steps
    assert weights.task == TaskName.REWEIGHT and weights.kwargs["osd_ids"] == [4, 5]
    assert weights.kwargs["target"] == ORIGINAL_WEIGHT and weights.kwargs["rollback"]
    assert weights.kwargs["reference"] == "decommission.node2.1"
    assert restore.task == TaskName.RESTORE and restore.after == (weights.id,)
    assert restore.kwargs["kinds"] is None
    assert [f.task for f in plan.finalisers] == [TaskName.RESTORE]


def test_a_recovery_without_weights_is_the_restore_alone() -> None:
    [left] = leftovers({"ref-1": {BALANCER_KEY: {"active": True}}}, set(), dump(), tree({}),
                       POOLS, {"active": False})
    assert [s.task for s in plan_recovery("lab", left).steps] == [TaskName.RESTORE]


def test_per_osd_recovery_settings_still_as_the_maintenance_left_them_are_named() -> None:
    records = {setting_key(3, "osd_max_backfills"): {"before": None, "set": "1"},
               setting_key(4, "osd_max_backfills"): {"before": "2", "set": "1"}}
    config = [ConfigEntry(section="osd.3", name="osd_max_backfills", value="1"),
              ConfigEntry(section="osd.4", name="osd_max_backfills", value="3")]
    [left] = leftovers({"ref-1": records}, set(), dump(), tree({}), POOLS, {"active": True},
                       config)
    # osd.4's was changed since by someone else: theirs now, not in effect of ours.
    assert left.in_effect == ("osd.3 osd_max_backfills set by it",)
