"""The pin and move plan of a replace that moves each copy once, on captured snapshots.

Each snapshot was taken on a sandbox just after a new host's OSDs took weight under
norebalance (tests/fixtures/ceph/capture_remapped.py): CRUSH has remapped PGs, no data
has moved. The tests pin them, then move the old host's copies batch by batch, applying
each batch as the monitors would, and check where every copy ends.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceph_tasks.ceph.models import CrushRule, OsdDump, OsdTree, Pool
from ceph_tasks.ceph.models.pg_dump import PgBrief, PgDump
from ceph_tasks.decisions.upmaps import (
    Items,
    Pin,
    PoolPlacement,
    UpmapReadiness,
    apply_items,
    client_releases,
    copies_on,
    items_between,
    next_moves,
    pins_for_remapped,
    placements,
    raw_placement,
    recorded_items,
    releases,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


def _read(state: str, name: str) -> Any:
    return json.loads((FIXTURES / state / f"{name}.json").read_text())


@dataclass(frozen=True)
class Snapshot:
    """A captured cluster: its PGs, upmap items, tree and pools' placement needs."""

    pgs: PgDump
    upmaps: dict[str, Items]
    tree: OsdTree
    pools: dict[int, PoolPlacement]
    old: frozenset[int]
    new: frozenset[int]

    @property
    def weights(self) -> dict[int, float]:
        return self.tree.crush_weights()


#: The captured state, the host being replaced and the spare taking its place.
CASES = {"default": ("remapped_default", "node2", "spare-3.dc1"),
         "racks": ("remapped_racks", "d1", "spare-d2.dc1"),
         "mixed": ("remapped_mixed", "c1", "new1")}


def snapshot(case: str) -> Snapshot:
    state, old, new = CASES[case]
    tree = OsdTree.model_validate(_read(state, "osd_tree"))
    pools = [Pool.model_validate(p) for p in _read(state, "osd_pool_ls_detail")]
    rules = [CrushRule.model_validate(r) for r in _read(state, "osd_crush_rule_dump")]
    hosts = tree.hosts()
    return Snapshot(PgDump.model_validate(_read(state, "pg_dump_pgs_brief")),
                    dict(OsdDump.model_validate(_read(state, "osd_dump")).upmaps), tree,
                    placements(tree, pools, rules), hosts[old], hosts[new])


def applied(snap: Snapshot, pins: list[Pin] | tuple[Pin, ...]) -> Snapshot:
    """The snapshot once the pins are set and their data moved: up and acting as pinned."""
    by_pg = {p.pgid: p for p in pins}
    pgs, upmaps = [], dict(snap.upmaps)
    for pg in snap.pgs.pg_stats:
        pin = by_pg.get(pg.pgid)
        if pin is None:
            pgs.append(pg)
            continue
        up = apply_items(raw_placement(pg.up, pin.before), pin.after, snap.weights)
        upmaps[pg.pgid] = pin.after
        pgs.append(replace_pg(pg, up))
    return replace(snap, pgs=PgDump(pg_stats=tuple(pgs)), upmaps=upmaps)


def replace_pg(pg: PgBrief, up: tuple[int, ...]) -> PgBrief:
    return pg.model_copy(update={"up": up, "acting": up, "state": "active+clean"})


def domain_of(snap: Snapshot, pool: int) -> dict[int, str]:
    kind = snap.pools[pool].domain_type or "host"
    return {o: name for name, members in snap.tree.buckets(kind).items() for o in members}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pins_hold_every_remapped_pg_on_the_osds_that_have_its_data(case: str) -> None:
    snap = snapshot(case)
    remapped = {pg.pgid for pg in snap.pgs.pg_stats if pg.up != pg.acting}
    assert remapped, "the snapshot holds remapped PGs"

    pins = pins_for_remapped(snap.pgs, snap.upmaps, snap.weights, snap.pools)

    assert {p.pgid for p in pins} == remapped
    by_pg = {pg.pgid: pg for pg in snap.pgs.pg_stats}
    for pin in pins:
        pg = by_pg[pin.pgid]
        up = apply_items(raw_placement(pg.up, pin.before), pin.after, snap.weights)
        if snap.pools[pg.pool_id].by_position:
            assert up == pg.acting, pin  # each shard stays on its OSD
        else:
            assert set(up) == set(pg.acting), pin


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_copy_on_the_old_host_moves_once_in_batches_within_the_cap(case: str) -> None:
    snap = snapshot(case)
    snap = applied(snap, pins_for_remapped(snap.pgs, snap.upmaps, snap.weights, snap.pools))
    start = {pg.pgid: pg.acting for pg in snap.pgs.pg_stats}
    old_copies = sum(len(snap.old & set(a)) for a in start.values())
    batches = 0
    while copies_on(snap.pgs, snap.old):
        batch = next_moves(snap.pgs, snap.upmaps, snap.tree, snap.pools, snap.old, snap.new,
                           limit=4)
        assert not batch.stuck
        assert 0 < len(batch.pins) <= 4
        snap = applied(snap, batch.pins)
        batches += 1
        assert batches < 100
    moved = 0
    for pg in snap.pgs.pg_stats:
        before, after = start[pg.pgid], pg.acting
        changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
        if snap.pools[pg.pool_id].by_position:
            # Only the old host's shards changed OSD, each in its own position.
            assert all(before[i] in snap.old for i in changed)
        else:
            assert set(before) - set(after) <= snap.old
        moved += len(set(after) - set(before))
        domains = domain_of(snap, pg.pool_id)
        assert len({domains[o] for o in after}) == len(after), pg  # failure domains apart
    assert moved == old_copies  # each copy moved once, none besides
    assert batches == -(-copies_on(PgDump(pg_stats=tuple(
        PgBrief(pgid=k, up=v, acting=v) for k, v in start.items())), snap.old) // 4)


@pytest.mark.parametrize("case", sorted(CASES))
def test_copies_go_to_the_new_host_unless_the_pg_has_one_there(case: str) -> None:
    snap = snapshot(case)
    snap = applied(snap, pins_for_remapped(snap.pgs, snap.upmaps, snap.weights, snap.pools))
    batch = next_moves(snap.pgs, snap.upmaps, snap.tree, snap.pools, snap.old, snap.new,
                       limit=1000)
    by_pg = {pg.pgid: pg for pg in snap.pgs.pg_stats}
    elsewhere = 0
    for pin in batch.pins:
        pg = by_pg[pin.pgid]
        up = apply_items(raw_placement(pg.up, pin.before), pin.after, snap.weights)
        arrived = set(up) - set(pg.acting)
        if snap.new & set(pg.acting):
            assert not arrived & snap.new
            elsewhere += 1
        else:
            assert arrived <= snap.new
    assert elsewhere < len(batch.pins) / 4


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_decommission_sends_each_copy_once_to_the_least_loaded_osds_elsewhere(
        case: str) -> None:
    snap = snapshot(case)
    snap = applied(snap, pins_for_remapped(snap.pgs, snap.upmaps, snap.weights, snap.pools))
    start = {pg.pgid: pg.acting for pg in snap.pgs.pg_stats}
    before = Counter(o for acting in start.values() for o in acting)
    while copies_on(snap.pgs, snap.old):
        batch = next_moves(snap.pgs, snap.upmaps, snap.tree, snap.pools, snap.old,
                           frozenset(), limit=4)
        assert not batch.stuck and batch.pins
        snap = applied(snap, batch.pins)
    after = Counter(o for pg in snap.pgs.pg_stats for o in pg.acting)
    moved = 0
    for pg in snap.pgs.pg_stats:
        arrived = set(pg.acting) - set(start[pg.pgid])
        assert set(start[pg.pgid]) - set(pg.acting) <= snap.old
        moved += len(arrived)
        domains = domain_of(snap, pg.pool_id)
        assert len({domains[o] for o in pg.acting}) == len(pg.acting), pg
    assert moved == sum(len(snap.old & set(a)) for a in start.values())
    # Least loaded first: no OSD that took copies ends above the fullest before.
    fullest = max(before[o] / snap.weights[o] for o in before if o not in snap.old)
    receivers = [o for o in after if after[o] > before[o]]
    assert len(receivers) > 2
    assert all(after[o] / snap.weights[o] <= fullest for o in receivers), after


def test_the_new_host_s_osds_share_the_copies_by_weight() -> None:
    snap = snapshot("default")
    snap = applied(snap, pins_for_remapped(snap.pgs, snap.upmaps, snap.weights, snap.pools))
    batch = next_moves(snap.pgs, snap.upmaps, snap.tree, snap.pools, snap.old, snap.new,
                       limit=1000)
    snap = applied(snap, batch.pins)
    counts = [sum(1 for pg in snap.pgs.pg_stats if o in pg.acting) for o in sorted(snap.new)]
    assert max(counts) - min(counts) <= 1


def test_a_copy_with_nowhere_to_go_is_named() -> None:
    tree = OsdTree.model_validate(_read("remapped_default", "osd_tree"))
    pg = PgBrief(pgid="2.0", state="active+clean", up=(0, 4), acting=(0, 4))
    # A size-2 PG over hosts: node0 holds one copy; only node2 (leaving) could hold the
    # other when node1 and the spare count for nothing.
    weights = {n.id: 0.0 for n in tree.osds() if n.id in (2, 3, 6, 7)}
    flat = tree.model_copy(update={"nodes": tuple(
        n.model_copy(update={"crush_weight": weights.get(n.id, n.crush_weight)})
        for n in tree.nodes)})
    pools = {2: PoolPlacement(False, "host", frozenset(range(8)))}
    batch = next_moves(PgDump(pg_stats=(pg,)), {}, flat, pools, {4, 5}, {6, 7}, limit=8)
    assert batch.stuck == ("2.0",) and not batch.pins


def test_an_unpinnable_copy_is_left_to_crush() -> None:
    # osd.4 has no weight any more: the monitors would drop an item onto it.
    pg = PgBrief(pgid="2.3", state="active+remapped", up=(0, 2), acting=(0, 4))
    pins = pins_for_remapped(PgDump(pg_stats=(pg,)), {}, {0: 1.0, 2: 1.0, 4: 0.0},
                             {2: PoolPlacement(False, "host", frozenset())})
    assert pins == []


def test_pin_commands_set_the_whole_list_or_remove_it() -> None:
    assert Pin("2.1", (), ((7, 1), (3, 5))).change().args == {"pgid": "2.1", "id": [7, 1, 3, 5]}
    removal = Pin("2.1", ((7, 1),), ()).change()
    assert (removal.prefix, removal.args) == ("osd rm-pg-upmap-items", {"pgid": "2.1"})


def test_upmaps_need_luminous_clients_admitted_and_connected() -> None:
    assert UpmapReadiness("luminous", ("luminous", "luminous")).problems() == []
    assert UpmapReadiness("reef", ()).problems() == []
    jewel = UpmapReadiness("jewel", ("luminous",)).problems()
    assert len(jewel) == 1 and "require_min_compat_client is jewel" in jewel[0]
    old = UpmapReadiness("luminous", ("luminous", "hammer")).problems()
    assert len(old) == 1 and "hammer" in old[0]
    features = {"client": [{"features": "0x3f01", "release": "luminous", "num": 3}]}
    assert client_releases(features) == ("luminous",)


_osd_lists = st.lists(st.integers(0, 30), min_size=1, max_size=6, unique=True)


@given(_osd_lists, _osd_lists)
def test_items_turn_crush_s_choice_into_the_wanted_copies(raw: list[int],
                                                          wanted: list[int]) -> None:
    weights = dict.fromkeys(range(31), 1.0)
    wanted = wanted[:len(raw)]
    raw = raw[:len(wanted)]
    up = apply_items(raw, items_between(raw, wanted, by_position=False), weights)
    assert set(up) == set(wanted)
    assert raw_placement(up, items_between(raw, wanted, by_position=False)) == tuple(raw)


@given(_osd_lists, st.data())
def test_shard_items_keep_every_other_shard_in_place(raw: list[int], data: Any) -> None:
    weights = dict.fromkeys(range(40), 1.0)
    # Some shards move to OSDs the PG does not use; the others stay.
    moving = data.draw(st.sets(st.sampled_from(range(len(raw)))))
    free = iter(sorted(set(range(31, 40)) - set(raw)))
    wanted = [next(free) if i in moving else o for i, o in enumerate(raw)]
    up = apply_items(raw, items_between(raw, wanted, by_position=True), weights)
    assert up == tuple(wanted)


@pytest.mark.parametrize(("raw", "wanted"), [
    # Seen on the racks sandbox (EC 2+2): shards that CRUSH moved between positions.
    ((5, 11, 8, 2), (8, 4, 9, 2)),
    ((10, 5, 2, 8), (10, 5, 8, 0)),
])
def test_a_shard_moving_to_another_position_leaves_it_first(
        raw: tuple[int, ...], wanted: tuple[int, ...]) -> None:
    items = items_between(raw, wanted, by_position=True)
    assert apply_items(raw, items, dict.fromkeys(range(12), 1.0)) == wanted


def test_shards_swapping_osds_are_left_to_crush() -> None:
    # No order of items can swap two shards: the monitors would skip both.
    assert items_between((1, 2, 3), (2, 1, 3), by_position=True) == ()


def test_releases_put_back_what_was_recorded_in_pg_order_within_the_limit() -> None:
    pgs = PgDump(pg_stats=tuple(PgBrief(pgid=p, state="active+clean", up=(0, 1),
                                        acting=(0, 1)) for p in ("2.a", "2.2", "2.10")))
    now = {"2.a": ((6, 1),), "2.2": ((7, 0),), "2.10": ((6, 0),), "2.3": ((7, 1),)}
    recorded = recorded_items({"upmap:2.a": [], "upmap:2.2": [[3, 4]], "upmap:2.10": [],
                               "upmap:2.3": [], "flag:cluster:noout": False})
    assert recorded == {"2.a": (), "2.2": ((3, 4),), "2.10": (), "2.3": ()}
    released = releases(pgs, now, recorded, limit=2)
    # 2.3 is gone (a merge): left out; the others in PG order, two at a time.
    assert [(p.pgid, p.after) for p in released] == [("2.2", ((3, 4),)), ("2.a", ())]
    assert releases(pgs, {"2.a": (), "2.2": ((3, 4),), "2.10": ()}, recorded, 8) == []
