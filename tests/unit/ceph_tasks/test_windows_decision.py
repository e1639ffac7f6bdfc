"""When a data-moving step may start: the windows of a cluster and of a datacenter (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from ceph_tasks.decisions.windows import (
    WindowsNeverOpen,
    next_opening,
    window_verdict,
    windows_for,
)
from inventory import MaintenanceWindow, Weekday
from tests.support.lab import lab_cluster

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
NIGHTS = MaintenanceWindow(days=frozenset({Weekday.MON, Weekday.TUE}), start=time(22),
                           end=time(4), timezone="Europe/Paris")
TUESDAY_DAYTIME = MaintenanceWindow(days=frozenset({Weekday.TUE}), start=time(1),
                                    end=time(12))


def test_no_windows_means_any_time() -> None:
    verdict = window_verdict([], MONDAY)
    assert verdict.open and verdict.seconds_to_wait(MONDAY) == 0


def test_outside_the_window_the_verdict_says_when_it_opens_in_the_window_zone() -> None:
    now = MONDAY + timedelta(hours=12)
    verdict = window_verdict([(NIGHTS,)], now)
    assert not verdict.open
    assert verdict.reason == "waiting for window: opens Mon 22:00 Europe/Paris"
    assert verdict.opens_at == MONDAY + timedelta(hours=21)
    assert verdict.seconds_to_wait(now) == 9 * 3600


def test_an_override_opens_any_window_and_names_its_reason() -> None:
    verdict = window_verdict([(NIGHTS,)], MONDAY + timedelta(hours=12),
                             {"reason": "failing disk"})
    assert verdict.open and "failing disk" in verdict.reason


def test_every_set_must_be_open_at_once() -> None:
    # Monday 22:00 Paris opens the nights, but the datacenter only lets in from Tuesday 01:00.
    opening = next_opening([(NIGHTS,), (TUESDAY_DAYTIME,)], MONDAY + timedelta(hours=12))
    assert opening == MONDAY + timedelta(days=1, hours=1)
    verdict = window_verdict([(NIGHTS,), (TUESDAY_DAYTIME,)], MONDAY + timedelta(hours=12))
    assert verdict.reason == "waiting for window: opens Tue 01:00 UTC"


def test_windows_that_never_overlap_are_an_error_not_an_endless_wait() -> None:
    sunday = MaintenanceWindow(days=frozenset({Weekday.SUN}), start=time(8), end=time(9))
    with pytest.raises(WindowsNeverOpen, match="never overlap: mon,tue 22:00-04:00"):
        next_opening([(NIGHTS,), (sunday,)], MONDAY)


def test_a_host_gets_its_datacenter_windows_beside_the_cluster_ones() -> None:
    cluster = lab_cluster().model_copy(update={
        "maintenance_windows": (NIGHTS,), "datacenter_windows": {"DC1": (TUESDAY_DAYTIME,)}})
    assert windows_for(cluster, ["node1"]) == [(NIGHTS,), (TUESDAY_DAYTIME,)]
    assert windows_for(cluster, ["node1", "node2"]) == [(NIGHTS,), (TUESDAY_DAYTIME,)]
    assert windows_for(cluster, []) == [(NIGHTS,)]
