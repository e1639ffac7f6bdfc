"""`pg dump pgs` read for a host's work: copies its OSDs hold, objects recovered since."""

from __future__ import annotations

from ceph_tasks.ceph.models import PgObjects
from ceph_tasks.decisions.data_moved import Moved, counters, moved_since

NONE = 2**31 - 1  # CRUSH_ITEM_NONE: an EC shard with no OSD


def dump(*pgs: tuple[str, int, int, list[int]]) -> dict[str, object]:
    return {"pg_ready": True, "pg_stats": [
        {"pgid": pgid, "acting": acting, "up": acting,
         "stat_sum": {"num_objects": objects, "num_objects_recovered": recovered}}
        for pgid, objects, recovered, acting in pgs]}


def test_copies_count_each_acting_osd_of_the_host_once_per_object() -> None:
    pgs = PgObjects.model_validate(dump(("1.0", 10, 0, [4, 0]), ("1.1", 7, 2, [0, 2]),
                                        ("2.0", 5, 1, [4, 5, NONE])))
    assert pgs.copies_on([4, 5]) == 10 + 5 * 2
    assert pgs.copies_on([9]) == 0
    assert pgs.recovered() == 3


def test_a_bare_list_and_a_pg_without_stats_read_as_zero_objects() -> None:
    pgs = PgObjects.model_validate([{"pgid": "1.0", "acting": [1]}])
    assert pgs.copies_on([1]) == 0 and pgs.recovered() == 0


def test_what_moved_is_what_the_recovery_counters_grew_by_never_below_zero() -> None:
    def reading(recovered: int, pgs: int = 2) -> PgObjects:
        return PgObjects.model_validate({"pg_stats": [
            {"pgid": f"1.{i}", "acting": [0], "stat_sum": {
                "num_objects": 10, "num_objects_recovered": recovered,
                "num_bytes_recovered": recovered * 1000}} for i in range(pgs)]})
    base = counters(reading(5))
    assert base == {"objects": 10, "bytes": 10_000}
    assert moved_since(base, reading(8)) == Moved(objects=6, bytes=6_000)
    # A PG merged away takes its count with it: less than the base reads as nothing moved.
    assert moved_since(base, reading(5, pgs=1)) == Moved(objects=0, bytes=0)
