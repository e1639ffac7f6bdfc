"""The throttles' recovery section: optional, and each mistake named at its field."""

from __future__ import annotations

from typing import Any

import pytest

from inventory import InventoryValidationError, RecoveryPace, parse_inventory
from tests.unit.inventory.builders import cluster_data, dump


def parsed(recovery: Any) -> Any:
    data = cluster_data()
    data["throttles"] = {"recovery": recovery}
    return parse_inventory(dump({"clusters": [data]}), env={}).clusters[0].throttles.recovery


def problems_for(recovery: Any) -> list[tuple[str, str]]:
    with pytest.raises(InventoryValidationError) as caught:
        parsed(recovery)
    return [(p.key_path, p.message) for p in caught.value.problems]


def test_no_recovery_section_leaves_the_cluster_alone() -> None:
    data = cluster_data()
    inventory = parse_inventory(dump({"clusters": [data]}), env={})
    assert inventory.clusters[0].throttles.recovery is None


def test_a_backfill_limit_and_a_pace_are_read() -> None:
    recovery = parsed({"backfills_per_osd": 2, "pace": "gentle"})
    assert recovery.backfills_per_osd == 2
    assert recovery.pace is RecoveryPace.GENTLE


def test_either_alone_is_enough() -> None:
    assert parsed({"pace": "fast"}).backfills_per_osd is None
    assert parsed({"backfills_per_osd": 1}).pace is None


@pytest.mark.parametrize("limit", [0, -1, "two", 1.5, True])
def test_a_backfill_limit_below_one_or_not_a_whole_number_is_named(limit: Any) -> None:
    ((path, _),) = problems_for({"backfills_per_osd": limit})
    assert path == "clusters[0].throttles.recovery.backfills_per_osd"


def test_an_unknown_pace_is_named_with_the_ones_known() -> None:
    ((path, message),) = problems_for({"pace": "reckless"})
    assert path == "clusters[0].throttles.recovery.pace"
    assert "gentle" in message and "fast" in message


def test_an_empty_recovery_section_says_what_to_give() -> None:
    ((path, message),) = problems_for({})
    assert path == "clusters[0].throttles.recovery"
    assert "backfills_per_osd or pace" in message


def test_an_unknown_key_in_the_recovery_section_is_named() -> None:
    ((path, _),) = problems_for({"pace": "fast", "max_active": 3})
    assert path == "clusters[0].throttles.recovery.max_active"
