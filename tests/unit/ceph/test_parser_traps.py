"""The parsers survive the known quirks of Ceph's JSON across releases and states."""

from __future__ import annotations

from typing import Any

import pytest

from ceph_tasks.ceph.models import (
    CrushRule,
    OsdMapSummary,
    PgDump,
    PgStat,
    Status,
    parse_as,
)
from ceph_tasks.errors import CephBadOutput, CephError

MINIMAL_STATUS: dict[str, Any] = {
    "fsid": "f",
    "health": {"status": "HEALTH_OK", "checks": {}},
    "osdmap": {"epoch": 7, "num_osds": 3, "num_up_osds": 3, "num_in_osds": 3},
    "pgmap": {"pgs_by_state": [{"state_name": "active+clean", "count": 8}], "num_pgs": 8},
}


def test_nested_osdmap_of_older_releases_reads_like_the_flat_one() -> None:
    nested = {**MINIMAL_STATUS, "osdmap": {"osdmap": {**MINIMAL_STATUS["osdmap"],
                                                      "full": False}}}
    assert parse_as(Status, nested, "status").osdmap == parse_as(
        Status, MINIMAL_STATUS, "status").osdmap
    assert parse_as(OsdMapSummary, {"osdmap": {"epoch": 3}}, "status").epoch == 3


def test_keys_added_by_newer_releases_are_ignored() -> None:
    extended = {**MINIMAL_STATUS, "brand_new_section": {"x": 1},
                "pgmap": {**MINIMAL_STATUS["pgmap"], "new_counter": 5}}
    assert parse_as(Status, extended, "status").pgmap.num_pgs == 8


def test_unfound_objects_are_read_when_present() -> None:
    stat = parse_as(PgStat, {"pg_ready": True, "pg_summary": {
        "num_pg_by_state": [{"name": "active+recovery_unfound+degraded", "num": 1}],
        "num_pgs": 1, "unfound_objects": 2, "degraded_objects": 4}}, "pg stat")
    assert (stat.unfound_objects, stat.degraded_objects) == (2, 4)
    assert stat.count_in("recovery_unfound") == 1 and not stat.all_active_clean


def test_an_empty_pgmap_is_not_all_active_clean() -> None:
    empty = {**MINIMAL_STATUS, "pgmap": {}}
    assert not parse_as(Status, empty, "status").pgmap.all_active_clean


def test_output_missing_a_needed_key_is_bad_output_naming_the_command() -> None:
    broken = {k: v for k, v in MINIMAL_STATUS.items() if k != "osdmap"}
    with pytest.raises(CephBadOutput, match="ceph status failed") as caught:
        parse_as(Status, broken, "status")
    assert isinstance(caught.value, CephError) and caught.value.command == "status"


def test_rule_failure_domain_is_the_type_of_the_last_choose_step() -> None:
    def rule(*steps: dict[str, Any]) -> CrushRule:
        return parse_as(CrushRule, {"rule_id": 1, "rule_name": "r", "steps": list(steps)}, "")

    take, emit = {"op": "take", "item": -1}, {"op": "emit"}
    assert rule(take, {"op": "chooseleaf_indep", "num": 0, "type": "rack"}, emit
                ).failure_domain == "rack"
    assert rule(take, {"op": "choose_firstn", "num": 2, "type": "room"},
                {"op": "chooseleaf_firstn", "num": 2, "type": "host"}, emit
                ).failure_domain == "host"
    assert rule(take, emit).failure_domain is None


BRIEF_PGS: list[dict[str, Any]] = [
    {"pgid": "2.1f", "state": "active+clean", "up": [4, 0], "up_primary": 4,
     "acting": [4, 0], "acting_primary": 4},
    {"pgid": "3.0", "state": "active+undersized+degraded", "up": [1, 2147483647, 5],
     "up_primary": 1, "acting": [1, 2147483647, 5], "acting_primary": 1},
]


def test_pg_dump_reads_the_same_as_a_bare_list_or_wrapped_with_pg_ready() -> None:
    # Releases before Nautilus print the array alone; Pacific wraps it with pg_ready.
    bare = parse_as(PgDump, BRIEF_PGS, "pg dump pgs_brief")
    wrapped = parse_as(PgDump, {"pg_ready": True, "pg_stats": BRIEF_PGS}, "pg dump pgs_brief")
    assert bare.pg_stats == wrapped.pg_stats
    assert [pg.pool_id for pg in bare.pg_stats] == [2, 3]


def test_an_erasure_coded_shard_without_an_osd_names_no_osd() -> None:
    pgs = parse_as(PgDump, BRIEF_PGS, "pg dump pgs_brief")
    assert pgs.pg_stats[1].osds == {1, 5}
    assert [pg.pgid for pg in pgs.with_copies_on([0, 5])] == ["2.1f", "3.0"]
    assert pgs.with_copies_on([2147483647]) == ()


def test_a_pg_remapped_counts_on_its_up_and_its_acting_osds() -> None:
    remapped = {"pgid": "2.a", "state": "active+remapped+backfill_wait", "up": [3, 5],
                "up_primary": 3, "acting": [3, 4], "acting_primary": 3}
    pgs = parse_as(PgDump, [remapped], "pg dump pgs_brief")
    assert len(pgs.with_copies_on([4])) == len(pgs.with_copies_on([5])) == 1


def test_a_pg_id_of_another_form_is_bad_output() -> None:
    with pytest.raises(CephBadOutput, match="pg dump pgs_brief"):
        parse_as(PgDump, [{"pgid": "pool-2", "up": [], "acting": []}], "pg dump pgs_brief")
