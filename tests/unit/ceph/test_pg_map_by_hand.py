"""The hand-written PG map of the healthy sandbox agrees with everything captured from it."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.models import OkToStop, OsdDf, PgDump, Pool, parse_as, parse_list
from tests.support.pg_map_by_hand import healthy_pg_dump

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
PGS = parse_as(PgDump, healthy_pg_dump(), "pg dump pgs_brief")


def fixture(state: str, name: str) -> Any:
    return json.loads((FIXTURES / state / f"{name}.json").read_text())


def ids(pgs: tuple[Any, ...]) -> set[str]:
    return {pg.pgid for pg in pgs}


def test_it_holds_every_pg_of_every_captured_pool_once() -> None:
    pools = parse_list(Pool, fixture("healthy", "osd_pool_ls_detail"), "pools")
    expected = {f"{p.pool_id}.{n:x}" for p in pools for n in range(p.pg_num)}
    assert sorted(pg.pgid for pg in PGS.pg_stats) == sorted(expected)


def test_it_places_as_many_pgs_on_each_osd_as_osd_df_counted() -> None:
    df = parse_as(OsdDf, fixture("healthy", "osd_df"), "osd df")
    counted = Counter(osd for pg in PGS.pg_stats for osd in pg.osds)
    assert counted == {n.id: n.pgs for n in df.nodes}


def test_its_pgs_per_host_are_those_ok_to_stop_named() -> None:
    node2 = parse_as(OkToStop, fixture("healthy", "osd_ok_to_stop"), "ok-to-stop")
    assert ids(PGS.with_copies_on([4, 5])) == set(node2.ok_become_degraded)
    node0_1 = parse_as(OkToStop, fixture("healthy", "osd_ok_to_stop_unsafe"), "ok-to-stop")
    only_there = {pg.pgid for pg in PGS.pg_stats if pg.osds <= {0, 1, 2, 3}}
    assert only_there == set(node0_1.bad_become_inactive)
    # With osd.0 down, stopping node1 leaves no copy of the PGs shared by osd.0 and node1.
    osd0_down = parse_as(OkToStop, fixture("osd_down", "osd_ok_to_stop"), "ok-to-stop")
    shared = {pg.pgid for pg in PGS.pg_stats if 0 in pg.osds and pg.osds & {2, 3}}
    assert shared == set(osd0_down.bad_become_inactive)


def test_the_partner_of_each_pg_on_osd_0_is_the_one_seen_while_osd_0_was_down() -> None:
    detail = fixture("osd_down", "health_detail")["checks"]["PG_DEGRADED"]["detail"]
    seen = {}
    for line in detail:
        found = re.match(r"pg (\S+) is \S+, acting \[(\d+)\]", line["message"])
        assert found, line
        seen[found[1]] = {int(found[2])}
    assert {pg.pgid: pg.osds - {0} for pg in PGS.on_osd(0)} == seen
