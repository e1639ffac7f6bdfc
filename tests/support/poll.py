"""Waiting in tests: one polling loop, whose failure names what was awaited and what was seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(check: Callable[[], T | None], *, timeout: float, interval: float,
         what: str | Callable[[T | None], str],
         give_up: Callable[[], bool] | None = None) -> T:
    """Call check every interval seconds until it returns a truthy value; return that value.

    Raises AssertionError naming `what` and the last value seen when timeout seconds pass
    first, or at once when give_up() holds after a falsy look (the awaited state can no
    longer come: the process died, the workflow finished). `what` may be a callable of the
    last value, so that the message can describe the final state.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        last = check()
        if last:
            return last
        if give_up is not None and give_up():
            why = f"gave up after {time.monotonic() - started:.1f} s, it can no longer happen"
            break
        if time.monotonic() >= deadline:
            why = f"not within {timeout} s"
            break
        time.sleep(interval)
    awaited = what(last) if callable(what) else what
    raise AssertionError(f"waiting for {awaited}: {why}; last seen: {last!r}")


def in_a_row(looks: int, check: Callable[[], object]) -> Callable[[], bool]:
    """A check that holds once `check` held on `looks` calls in a row: a streak, not one look."""
    streak = 0

    def look() -> bool:
        nonlocal streak
        streak = streak + 1 if check() else 0
        return streak >= looks

    return look
