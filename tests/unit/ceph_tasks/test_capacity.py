"""Projected OSD fullness after a drain, and the plan-time refusal it makes (pure)."""

from __future__ import annotations

import pytest

from ceph_tasks.ceph.models import OsdDf, PgBytes, Pool
from ceph_tasks.ceph.models.pg_mapping import PgMapping, parse_pg_mapping
from ceph_tasks.decisions.capacity import (
    capacity_problems,
    copy_divisors,
    project,
)
from ceph_tasks.errors import CephBadOutput

MIB = 2**20

#: Shaped as osdmaptool 16.2 prints it (tabs between fields), with an EC PG one shard short.
DUMP = (
    "clearing pg/primary temp\n"
    "pool 1 pg_num 2\n"
    "1.0\t[3,5]\t3\n"
    "1.1\t[0,2]\t0\n"
    "pool 3 pg_num 1\n"
    "3.0\t[1,2147483647,4]\t1\n"
    "#osd\tcount\tfirst\tprimary\tc wt\twt\n"
    "osd.0\t1\t1\t1\t1\t1\n"
    " in 6\n"
    " avg 1 stddev 0.5 (0.5x) (expected 1 1x))\n"
    "size 2\t2\n"
)


def df(**used_mib: int) -> OsdDf:
    """OSDs of 100 MiB each, using what is given (osd0=40 means osd.0 uses 40 MiB)."""
    return OsdDf.model_validate({"nodes": [
        {"id": int(name.removeprefix("osd")), "name": f"osd.{name.removeprefix('osd')}",
         "kb": 100 * 1024, "kb_used": mib * 1024} for name, mib in used_mib.items()]})


POOLS = (Pool(pool_id=1, pool_name="rbd", size=2, min_size=1, crush_rule=0),
         Pool(pool_id=3, pool_name="ec", type=3, size=3, min_size=2, crush_rule=1,
              erasure_code_profile="k2m1"))


def test_the_dump_is_read_pg_by_pg_and_unplaced_shards_name_no_osd() -> None:
    mapping = parse_pg_mapping(DUMP)
    assert mapping.osds == {"1.0": (3, 5), "1.1": (0, 2), "3.0": (1, 2147483647, 4)}
    assert mapping.placed("3.0") == {1, 4}
    assert mapping.placed("9.9") == frozenset()


def test_a_dump_listing_pools_but_no_pg_line_is_bad_output() -> None:
    with pytest.raises(CephBadOutput):
        parse_pg_mapping("pool 1 pg_num 8\n1.0 [3, 5] 3\n")


def test_pg_bytes_are_read_from_the_stat_sums_of_pg_dump_pgs() -> None:
    sizes = PgBytes.model_validate({"pg_ready": True, "pg_stats": [
        {"pgid": "1.0", "stat_sum": {"num_bytes": 5}, "up": [1, 2]}, {"pgid": "1.1"}]})
    assert (sizes.of("1.0"), sizes.of("1.1"), sizes.of("2.0")) == (5, 0, 0)


def test_a_drained_osds_pgs_land_where_the_new_placement_puts_them() -> None:
    before = PgMapping({"1.0": (3, 5), "1.1": (0, 2)})
    after = PgMapping({"1.0": (3, 4), "1.1": (0, 2)})
    sizes = PgBytes(sizes={"1.0": 30 * MIB, "1.1": 10 * MIB})
    result = project(df(osd0=10, osd2=10, osd3=30, osd4=20, osd5=35), before, after, sizes,
                     POOLS, {5: 0.0}, nearfull_ratio=0.85)
    by_osd = {o.osd: (o.used_after // MIB) for o in result.osds}
    assert by_osd == {0: 10, 2: 10, 3: 30, 4: 50, 5: 5}
    assert result.osd(4).incoming == {1: 30 * MIB}  # type: ignore[union-attr]


def test_an_erasure_coded_shard_carries_a_kth_of_its_pgs_bytes() -> None:
    before = PgMapping({"3.0": (1, 2, 5)})
    after = PgMapping({"3.0": (1, 2, 4)})
    sizes = PgBytes(sizes={"3.0": 40 * MIB})
    divisors = copy_divisors(POOLS, {"k2m1": 2})
    assert divisors == {1: 1, 3: 2}
    result = project(df(osd1=20, osd2=20, osd4=0, osd5=20), before, after, sizes, POOLS,
                     {5: 0.0}, divisors=divisors)
    assert result.osd(4).used_after == 20 * MIB  # type: ignore[union-attr]
    assert result.osd(5).used_after == 0  # type: ignore[union-attr]


def test_an_osd_pushed_past_nearfull_less_the_margin_is_named_with_its_use_and_pool() -> None:
    before = PgMapping({"1.0": (3, 5), "3.0": (0, 5)})
    after = PgMapping({"1.0": (3, 4), "3.0": (0, 4)})
    sizes = PgBytes(sizes={"1.0": 30 * MIB, "3.0": 10 * MIB})
    result = project(df(osd0=10, osd3=30, osd4=45, osd5=40), before, after, sizes, POOLS,
                     {5: 0.0}, nearfull_ratio=0.85)
    assert capacity_problems(result, margin_points=5) == [
        "osd.4 would be 85.0% full (now 45.0%), past 80.0% (nearfull ratio 85.0% less a "
        "5-point margin); most of what it gets is from pool rbd (+30.0 MiB)"]
    assert capacity_problems(result, margin_points=0) == []


def test_an_osd_full_already_that_the_change_gives_nothing_does_not_refuse() -> None:
    same = PgMapping({"1.0": (3, 5)})
    result = project(df(osd3=90, osd5=10), same, PgMapping({"1.0": (3, 0)}),
                     PgBytes(sizes={"1.0": 5 * MIB}), POOLS, {5: 0.0}, nearfull_ratio=0.85)
    assert result.osd(3).after == pytest.approx(0.9)  # type: ignore[union-attr]
    assert capacity_problems(result, margin_points=5) == []


def test_without_a_nearfull_ratio_the_check_says_it_cannot_look() -> None:
    result = project(df(osd0=10), PgMapping({}), PgMapping({}), PgBytes(sizes={}), POOLS, {})
    assert "nearfull ratio is unknown" in capacity_problems(result, 5)[0]


def test_the_plan_lines_show_the_fullest_osds_now_and_after() -> None:
    before = PgMapping({"1.0": (3, 5)})
    after = PgMapping({"1.0": (3, 4)})
    result = project(df(osd2=50, osd3=30, osd4=20, osd5=40, osd6=0), before, after,
                     PgBytes(sizes={"1.0": 40 * MIB}), POOLS, {5: 0.0}, nearfull_ratio=0.85)
    assert result.describe() == [
        "fullest OSDs now: osd.2 50.0%, osd.5 40.0%, osd.3 30.0% (nearfull ratio 85.0%)",
        "fullest OSDs after: osd.4 60.0%, osd.2 50.0%, osd.3 30.0% (projected)"]
    assert result.to_dict()["fullest_after"][0] == {"osd": 4, "now": 0.2, "after": 0.6}


def test_osds_reporting_no_size_are_left_out() -> None:
    usage = OsdDf.model_validate({"nodes": [{"id": 7, "name": "osd.7", "kb": 0}]})
    assert project(usage, PgMapping({}), PgMapping({}), PgBytes(sizes={}), POOLS, {}).osds == ()
