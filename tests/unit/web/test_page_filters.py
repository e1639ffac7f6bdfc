"""How the pages write times and lengths of time."""

from __future__ import annotations

import pytest

from cephmaint.web.context import duration, seconds_utc, utc


@pytest.mark.parametrize(("seconds", "said"), [
    (None, "-"), (0, "0 s"), (45.7, "45 s"), (60, "1 min"), (3725, "1 h 2 min"),
    (3605, "1 h"), (86400, "1 d"), (3 * 86400 + 7200 + 61, "3 d 2 h"), (-5, "0 s")])
def test_a_length_of_time_is_said_in_its_largest_unit_and_the_next(seconds: float | None,
                                                           said: str) -> None:
    assert duration(seconds) == said


def test_times_are_utc_to_the_minute_or_the_second() -> None:
    assert utc(1_800_000_000.0) == "2027-01-15 08:00"
    assert seconds_utc(1_800_000_007.0) == "2027-01-15 08:00:07"
    assert seconds_utc(None) == "-"
