"""The maintenance benchmark's count of copies relocated, from clean acting sets."""

from __future__ import annotations

from bench.maintenance import Relocations
from ceph_tasks.ceph.models import PgBrief, PgDump


def dump(*pgs: tuple[str, str, tuple[int, ...], tuple[int, ...]]) -> PgDump:
    return PgDump(pg_stats=tuple(PgBrief(pgid=pgid, state=state, up=up, acting=acting)
                                 for pgid, state, up, acting in pgs))


def test_a_copy_counts_once_it_has_arrived_and_the_pg_is_clean() -> None:
    seen = Relocations({"1.0": 10, "2.0": 4}, by_position=frozenset({2}))
    seen.see(dump(("1.0", "active+clean", (0, 1, 2), (0, 1, 2)),
                  ("2.0", "active+clean", (0, 1, 2), (0, 1, 2))))
    # Backfilling onto 3: up is not acting yet, nothing has arrived.
    seen.see(dump(("1.0", "active+remapped+backfilling", (3, 1, 2), (0, 1, 2)),
                  ("2.0", "active+clean", (0, 1, 2), (0, 1, 2))))
    assert seen.copies == 0
    # Replicas count as a set (a reordering is no move); EC shards by position.
    seen.see(dump(("1.0", "active+clean", (1, 3, 2), (1, 3, 2)),
                  ("2.0", "active+clean", (1, 0, 2), (1, 0, 2))))
    assert seen.copies == 10 + 2 * 4


def test_a_copy_moved_twice_counts_twice() -> None:
    seen = Relocations({"1.0": 5}, by_position=frozenset())
    for acting in ((0, 1), (0, 2), (0, 3)):
        seen.see(dump(("1.0", "active+clean", acting, acting)))
    assert seen.copies == 10
