"""Maintenance windows: parsing rules and the contains() decision."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from pydantic import ValidationError

from inventory import MaintenanceWindow, Weekday

# 2026-11-30 is a Monday.
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def at(days: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hour, minutes=minute)


def test_daytime_window_contains_only_its_hours_on_its_days() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.MON}), start=time(8), end=time(16))
    assert window.contains(at(0, 8))
    assert window.contains(at(0, 15, 59))
    assert not window.contains(at(0, 16))
    assert not window.contains(at(0, 7, 59))
    assert not window.contains(at(1, 9))


def test_overnight_window_runs_into_the_next_day() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.SUN}), start=time(22), end=time(4))
    assert window.contains(at(6, 23))
    assert window.contains(at(7, 3))  # Monday early morning, after Sunday's start
    assert window.contains(at(0, 3))  # after the previous Sunday 22:00
    assert not window.contains(at(1, 3))  # Tuesday: Monday is not a window day
    assert not window.contains(at(7, 4))
    assert not window.contains(at(6, 21))


def test_contains_converts_other_timezones_to_utc() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.MON}), start=time(8), end=time(9))
    cet = timezone(timedelta(hours=1))
    assert window.contains(datetime(2026, 11, 30, 9, 30, tzinfo=cet))


def test_contains_refuses_naive_datetimes() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.MON}), start=time(8), end=time(9))
    with pytest.raises(ValueError, match="timezone-aware"):
        window.contains(datetime(2026, 11, 30, 8, 30))


@pytest.mark.parametrize(
    "values",
    [
        {"days": [], "start": "08:00", "end": "09:00"},
        {"days": ["monday"], "start": "08:00", "end": "09:00"},
        {"days": ["mon"], "start": "08:00", "end": "08:00"},
        {"days": ["mon"], "start": 480, "end": "09:00"},
        {"days": ["mon"], "start": "08:00+02:00", "end": "09:00"},
        {"days": ["mon"], "start": "25:00", "end": "09:00"},
    ],
)
def test_bad_windows_are_rejected(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MaintenanceWindow.model_validate(values)
