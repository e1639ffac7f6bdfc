"""The one polling loop of the tests: what it returns, and how it says it gave up."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.poll import in_a_row, poll


def answers(*values: object) -> Callable[[], object]:
    """A check that gives these answers in turn, then repeats the last one."""
    queue = list(values)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


def test_the_first_truthy_answer_is_returned() -> None:
    assert poll(answers(None, 0, "", "found", "later"), timeout=5, interval=0,
                what="x") == "found"


def test_a_timeout_names_what_was_awaited_and_the_last_answer() -> None:
    with pytest.raises(AssertionError) as caught:
        poll(answers([], {}), timeout=0.05, interval=0.01, what="osd.5 down")
    assert str(caught.value) == "waiting for osd.5 down: not within 0.05 s; last seen: {}"


def test_a_callable_what_describes_the_final_state_from_the_last_answer() -> None:
    with pytest.raises(AssertionError, match=r"waiting for the step to run: it is PENDING"):
        poll(answers(None, ""), timeout=0.05, interval=0.01,
             what=lambda last: f"the step to run: it is {'PENDING' if last == '' else last}")


def test_give_up_ends_the_wait_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"gave up after [0-9.]+ s, it can no longer happen"):
        poll(answers(False), timeout=60, interval=0.01, what="x", give_up=lambda: True)
    assert time.monotonic() - started < 5


def test_give_up_is_not_asked_when_the_answer_is_there() -> None:
    assert poll(answers(1), timeout=1, interval=0, what="x", give_up=lambda: True) == 1


def looks(check: Callable[[], bool], times: int) -> list[bool]:
    """The answers of `times` calls of check."""
    return [check() for _ in range(times)]


def test_in_a_row_holds_only_after_a_streak_and_a_bad_look_starts_it_again() -> None:
    streak = in_a_row(3, answers(True, True, False, True, True, True, True))
    assert looks(streak, 7) == [False, False, False, False, False, True, True]


def test_poll_of_a_streak_returns_on_the_look_that_completes_it() -> None:
    seen: list[bool] = []

    def look() -> bool:
        seen.append(len(seen) != 1)  # healthy, unhealthy, then healthy for good
        return seen[-1]

    assert poll(in_a_row(3, look), timeout=5, interval=0, what="x") is True
    assert seen == [True, False, True, True, True]
