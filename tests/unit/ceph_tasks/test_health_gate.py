"""Healthy or not: PGs, objects and health checks, judged on captured `status` answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ceph_tasks.ceph.models import Status
from ceph_tasks.decisions.health_gate import (
    FLAG_CODES,
    Baseline,
    Streak,
    advance_streak,
    assess,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


def raw(state: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / state / "status.json").read_text())
    return data


def status(state: str) -> Status:
    return Status.model_validate(raw(state))


def test_a_healthy_cluster_passes_with_nothing_to_say() -> None:
    verdict = assess(status("healthy"))
    assert verdict.healthy
    assert verdict.reasons == ()
    assert verdict.progress["pgs_by_state"] == {"active+clean": 33}
    assert verdict.progress["misplaced_ratio"] == 0.0


def test_a_draining_cluster_waits_for_its_misplaced_objects() -> None:
    verdict = assess(status("draining"))
    assert not verdict.healthy
    assert any("33/724 objects misplaced" in r for r in verdict.reasons)
    assert any("23 of 33 PGs not active+clean" in r for r in verdict.reasons)
    assert verdict.progress["misplaced_ratio"] == pytest.approx(33 / 724)
    assert verdict.progress["pgs_by_state"]["peering"] == 14


def test_a_down_osd_keeps_the_cluster_unhealthy_naming_osd_down() -> None:
    verdict = assess(status("osd_down"))
    assert not verdict.healthy
    assert "OSD_DOWN: 1 osds down" in verdict.reasons
    assert "OSD_DOWN" in verdict.progress["blocking_checks"]
    assert "OSD_DOWN: 1 osds down" in verdict.seen()
    assert "10 active+undersized+degraded" in verdict.seen()


def test_the_maintenance_flags_pass_only_when_tolerated() -> None:
    flagged = status("flags_set")
    assert not assess(flagged).healthy
    assert set(assess(flagged).progress["blocking_checks"]) == {"OSDMAP_FLAGS", "OSD_FLAGS"}
    assert assess(flagged, FLAG_CODES).healthy


def test_checks_about_data_availability_block_whatever_excuses_them() -> None:
    down = status("osd_down")
    verdict = assess(down, {"OSD_DOWN", "PG_DEGRADED"}, allowed={"OSD_DOWN"},
                     baseline=Baseline.of(down))
    assert not verdict.healthy
    assert set(verdict.progress["blocking_checks"]) == {"OSD_DOWN", "PG_DEGRADED"}
    assert any("objects degraded" in r for r in verdict.reasons)


def with_check(state: str, code: str, severity: str = "HEALTH_WARN", count: int = 1,
               muted: bool = False) -> Status:
    data = raw(state)
    data["health"]["status"] = "HEALTH_WARN"
    data["health"]["checks"][code] = {"severity": severity, "muted": muted,
                                      "summary": {"message": f"{count} slow ops", "count": count}}
    return Status.model_validate(data)


def test_a_warning_present_at_the_start_does_not_block_while_it_is_no_worse() -> None:
    start = with_check("healthy", "BLUESTORE_SLOW_OP_ALERT", count=2)
    baseline = Baseline.from_json(Baseline.of(start).to_json())
    assert assess(start, baseline=baseline).healthy
    # It flaps: gone, back with fewer, still fine.
    assert assess(status("healthy"), baseline=baseline).healthy
    assert assess(with_check("healthy", "BLUESTORE_SLOW_OP_ALERT", count=1),
                  baseline=baseline).healthy


@pytest.mark.parametrize("now", [
    {"code": "BLUESTORE_SLOW_OP_ALERT", "count": 3},
    {"code": "BLUESTORE_SLOW_OP_ALERT", "severity": "HEALTH_ERR", "count": 2},
    {"code": "MON_CLOCK_SKEW"},
])
def test_a_new_or_worsened_check_blocks(now: dict[str, Any]) -> None:
    baseline = Baseline.of(with_check("healthy", "BLUESTORE_SLOW_OP_ALERT", count=2))
    verdict = assess(with_check("healthy", **now), baseline=baseline)
    assert not verdict.healthy
    assert list(verdict.progress["blocking_checks"]) == [now["code"]]


def test_an_allowed_code_never_blocks_and_a_muted_one_is_not_part_of_the_baseline() -> None:
    assert assess(with_check("healthy", "MON_CLOCK_SKEW"), allowed={"MON_CLOCK_SKEW"}).healthy
    muted = with_check("healthy", "MON_CLOCK_SKEW", muted=True)
    assert assess(muted).healthy
    assert Baseline.of(muted).checks == {}


def test_a_muted_check_is_ignored() -> None:
    data = raw("flags_set")
    for check in data["health"]["checks"].values():
        check["muted"] = True
    assert assess(Status.model_validate(data)).healthy


def test_unfound_objects_keep_the_cluster_unhealthy() -> None:
    data = raw("healthy")
    data["pgmap"]["unfound_objects"] = 3
    assert "3 objects unfound" in assess(Status.model_validate(data)).reasons


def test_no_pg_statistics_yet_proves_nothing() -> None:
    data = raw("healthy")
    data["pgmap"] = {"pgs_by_state": [], "num_pgs": 0}
    verdict = assess(Status.model_validate(data))
    assert not verdict.healthy
    assert verdict.reasons == ("no PG statistics reported yet",)


def test_healthy_looks_count_up_under_one_osdmap_epoch() -> None:
    healthy = assess(status("healthy"))
    first = advance_streak(None, healthy)
    assert first == Streak(epoch=healthy.progress["osdmap_epoch"], count=1)
    assert advance_streak(first, healthy) == Streak(epoch=first.epoch, count=2)


def test_an_unhealthy_look_or_a_new_epoch_restarts_the_count() -> None:
    healthy = assess(status("healthy"))
    streak = Streak(epoch=healthy.progress["osdmap_epoch"], count=2)
    assert advance_streak(streak, assess(status("draining"))) is None
    moved_on = Streak(epoch=streak.epoch - 1, count=2)
    assert advance_streak(moved_on, healthy) == Streak(epoch=streak.epoch, count=1)
