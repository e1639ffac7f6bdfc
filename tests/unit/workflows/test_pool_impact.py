"""Which pools a maintenance touches, their failure domains before and after, and what moves."""

from __future__ import annotations

import json
from dataclasses import replace

from ceph_tasks.ceph.models import OkToStop
from tests.support.lab import FIXTURES
from tests.support.rack_lab import kib_on, rack_state
from workflows.impact import (
    PoolImpact,
    addition_impact,
    landing,
    removal_impact,
    worst_of,
)
from workflows.state import ClusterState


def by_pool(impacts: tuple[PoolImpact, ...]) -> dict[str, str]:
    return {i.pool: i.describe() for i in impacts}


def test_removing_a_host_moves_every_pg_ceph_said_it_holds(healthy: ClusterState) -> None:
    impacts = removal_impact(healthy, healthy.osds_of("node2"))
    assert [(i.pool, i.pgs_to_move) for i in impacts] == [("data", 22),
                                                         ("device_health_metrics", 1)]
    said = OkToStop.model_validate(
        json.loads((FIXTURES / "healthy" / "osd_ok_to_stop.json").read_text()))
    assert sum(i.pgs_to_move or 0 for i in impacts) == len(said.ok_become_degraded)
    assert by_pool(impacts)["device_health_metrics"].endswith(
        ": hosts 3 -> 2: ok; 1 PG, ~106.8 KiB to move")


def test_the_pools_bytes_add_up_to_what_the_drained_osds_hold(healthy: ClusterState) -> None:
    for osds in [(4, 5), (0,), (1, 2, 3)]:
        impacts = removal_impact(healthy, osds)
        assert sum(i.bytes_to_move or 0 for i in impacts) == healthy.bytes_on(osds)


def test_a_rack_cluster_names_only_the_pools_with_pgs_on_the_host() -> None:
    state = rack_state()
    impacts = by_pool(removal_impact(state, state.osds_of("d1")))
    # d1 has no ssd OSD: the ssd pool neither loses a domain nor moves a PG.
    assert impacts == {
        "ec": "pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok; "
              "3 PGs, ~2.2 MiB to move",
        "rbd": "pool rbd (rule rbd_rack, size 3): racks 4 -> 3: ok; 6 PGs, ~4.5 MiB to move",
    }


def test_a_pg_with_several_copies_on_the_removed_osds_moves_once() -> None:
    state = rack_state()
    # Rack r1 (a1 and a2) holds two chunks of most ec PGs; there are four ec PGs.
    (ec,) = [i for i in removal_impact(state, (0, 1, 2)) if i.pool == "ec"]
    assert ec.pgs_to_move == 4
    assert ec.describe().startswith("pool ec (rule ec_hdd, erasure-coded, k+m 4): "
                                    "hosts 5 -> 3: short of 1 (needs 4); 4 PGs")


def test_without_a_pg_map_the_pools_whose_domains_change_are_named_without_counts() -> None:
    state = replace(rack_state(), pgs=None)
    impacts = removal_impact(state, state.osds_of("a2"))
    # a2 shares rack r1 with a1: rbd keeps its racks, and without PGs nothing shows it moves.
    assert [(i.pool, i.pgs_to_move, i.bytes_to_move) for i in impacts] == [("ec", None, None)]
    assert impacts[0].describe() == "pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok"


def test_a_pool_reads_as_json_with_each_level_before_and_after() -> None:
    state = rack_state()
    (_, rbd) = removal_impact(state, (7,))
    data = json.loads(json.dumps(rbd.to_dict()))
    assert data == {
        "pool": "rbd", "pool_id": 5, "rule": "rbd_rack", "size": 3, "erasure": False,
        "ok": True,
        "levels": [{"domain_type": "rack", "root": "default~hdd", "needed": 3, "before": 4,
                    "after": 3, "short": 0, "before_names": ["r1", "r2", "r3", "r4"],
                    "after_names": ["r1", "r2", "r3"]}],
        "pgs_to_move": 6, "bytes_to_move": rbd.bytes_to_move,
    }
    assert 0 < data["bytes_to_move"] <= kib_on(7) * 1024


def test_a_new_host_touches_the_pools_whose_rules_reach_its_class() -> None:
    state = rack_state()
    ssd_only = by_pool(addition_impact(state, "e1", rack="r4", device_classes=["ssd"]))
    assert ssd_only == {"fast": "pool fast (rule fast_ssd, size 3): hosts 3 -> 4: ok"}
    # Classes not known yet: a new OSD of every class the cluster uses stands for them.
    unknown = by_pool(addition_impact(state, "e1", rack="r4"))
    assert unknown == {
        "ec": "pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 6: ok",
        "fast": "pool fast (rule fast_ssd, size 3): hosts 3 -> 4: ok",
        "rbd": "pool rbd (rule rbd_rack, size 3): racks 4 -> 4: ok",
    }


def test_a_new_host_without_a_crush_rack_lands_under_the_root_in_no_rack(
    healthy: ClusterState,
) -> None:
    state = rack_state()
    rbd = by_pool(addition_impact(state, "e1", rack="r5", device_classes=["hdd"]))["rbd"]
    assert rbd == "pool rbd (rule rbd_rack, size 3): racks 4 -> 4: ok"
    assert by_pool(addition_impact(healthy, "node3"))["data"] == (
        "pool data (rule replicated_rule, size 2): hosts 3 -> 4: ok")


def test_new_osds_land_in_the_hosts_bucket_its_rack_or_the_default_root() -> None:
    tree = rack_state().tree
    assert landing(tree, "a2") == "r1"
    assert landing(tree, "e1", rack="r4") == "r4"
    assert landing(tree, "e1", rack="R9") == "default"


def test_batches_report_the_worst_batch_and_everything_that_moves() -> None:
    state = rack_state()
    batches = [removal_impact(state, (2,)), removal_impact(state, (7,))]
    moved = removal_impact(state, (2, 7))
    impacts = by_pool(worst_of(batches, moved))
    # Either host alone leaves 4 hdd hosts; only d1 takes a rack away; PGs on both move.
    assert impacts["ec"].startswith("pool ec (rule ec_hdd, erasure-coded, k+m 4): "
                                    "hosts 5 -> 4: ok; 4 PGs")
    assert impacts["rbd"].startswith("pool rbd (rule rbd_rack, size 3): racks 4 -> 3: ok; "
                                     "6 PGs")
    assert sum(kib_on(o) for o in (2, 7)) * 1024 == sum(
        i.bytes_to_move or 0 for i in worst_of(batches, moved))
