"""The parsers survive the known quirks of Ceph's JSON across releases and states."""

from __future__ import annotations

from typing import Any

import pytest

from ceph_tasks.ceph.models import CrushRule, OsdMapSummary, PgStat, Status, parse_as
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
