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


def test_a_window_follows_its_time_zone_across_daylight_saving_changes() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.TUE}), start=time(22), end=time(23),
                               timezone="Europe/Paris")
    # Paris is UTC+2 in summer and UTC+1 in winter: the same 22:00 is 20:00 or 21:00 UTC.
    assert window.contains(datetime(2026, 7, 7, 20, 30, tzinfo=UTC))
    assert not window.contains(datetime(2026, 7, 7, 21, 30, tzinfo=UTC))
    assert window.contains(datetime(2026, 12, 1, 21, 30, tzinfo=UTC))
    assert window.next_start(datetime(2026, 12, 2, tzinfo=UTC)) == datetime(
        2026, 12, 8, 21, tzinfo=UTC)


def test_current_end_and_next_start_of_an_overnight_window() -> None:
    window = MaintenanceWindow(days=frozenset({Weekday.SUN}), start=time(22), end=time(4))
    assert window.current_end(at(6, 23)) == at(7, 4)
    assert window.current_end(at(6, 21)) is None
    assert window.next_start(at(6, 21)) == at(6, 22)
    assert window.next_start(at(6, 23)) == at(13, 22)


def test_describe_writes_the_window_as_an_inventory_would() -> None:
    window = MaintenanceWindow.model_validate(
        {"days": ["thu", "tue"], "start": "22:00", "end": "04:30", "timezone": "Europe/Paris"})
    assert window.describe() == "tue,thu 22:00-04:30 Europe/Paris"


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
        {"days": ["mon"], "start": "08:00", "end": "09:00", "timezone": "Europe/Pariss"},
        {"days": ["mon"], "start": "08:00", "end": "09:00", "timezone": "+02:00"},
    ],
)
def test_bad_windows_are_rejected(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MaintenanceWindow.model_validate(values)


def test_an_unknown_time_zone_is_named_in_the_error() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        MaintenanceWindow.model_validate(
            {"days": ["mon"], "start": "08:00", "end": "09:00", "timezone": "Mars/Olympus"})
