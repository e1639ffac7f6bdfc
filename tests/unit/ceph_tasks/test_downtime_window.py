"""A downtime's window is fixed by the first run and reused while it lasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ceph_tasks.decisions.downtime_window import Window, downtime_window, window_key

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_first_run_opens_a_window_from_now() -> None:
    assert downtime_window(None, T0, 3600) == Window(T0, T0 + timedelta(hours=1))


def test_the_window_is_in_whole_seconds_as_monitoring_systems_store_it() -> None:
    window = downtime_window(None, T0.replace(microsecond=999_999), 59.2)
    assert window == Window(T0, T0 + timedelta(seconds=60))


def test_a_re_run_asks_for_the_same_window_whatever_the_clock_says() -> None:
    first = downtime_window(None, T0, 3600)
    again = downtime_window(first, T0 + timedelta(minutes=20), 7200)
    assert again == first


def test_a_window_that_has_ended_is_replaced_by_a_new_one() -> None:
    first = downtime_window(None, T0, 3600)
    later = T0 + timedelta(hours=2)
    assert downtime_window(first, later, 600) == Window(later, later + timedelta(minutes=10))


def test_the_window_survives_the_ledger_round_trip() -> None:
    window = Window(T0, T0 + timedelta(hours=4))
    assert Window.from_json(window.to_json()) == window
    assert window_key("node2") == "downtime:node2"


@pytest.mark.parametrize("duration", [0, -5])
def test_a_window_needs_a_positive_duration(duration: float) -> None:
    with pytest.raises(ValueError, match="positive duration"):
        downtime_window(None, T0, duration)
