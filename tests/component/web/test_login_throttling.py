"""Failed logins: at most 5 per 5 minutes per user name and per client address."""

from __future__ import annotations

import re

from tests.component.web.conftest import Site

WINDOW = 300.0


def fail(site: Site, times: int, user: str = "olga") -> None:
    for _ in range(times):
        assert site.login(user, "wrong-password").status_code == 401


def test_past_five_failures_even_the_right_password_is_refused_with_retry_after(
        site: Site) -> None:
    fail(site, 5)
    answer = site.login("olga")
    assert answer.status_code == 429
    assert 0 < int(answer.headers["retry-after"]) <= WINDOW
    assert "Too many failed logins" in answer.text
    assert re.search(r"Try again after \d{4}-\d\d-\d\d \d\d:\d\d UTC", answer.text)
    assert not site.keys("session")


def test_the_lock_lifts_once_the_failures_are_older_than_the_window(site: Site) -> None:
    fail(site, 5)
    site.clock.advance(WINDOW - 10)
    assert site.login("olga").status_code == 429
    site.clock.advance(11)
    assert site.login("olga").status_code == 303


def test_retry_after_counts_down_to_when_the_oldest_failure_leaves_the_window(
        site: Site) -> None:
    fail(site, 1)
    site.clock.advance(100)
    fail(site, 4)
    answer = site.login("olga")
    assert int(answer.headers["retry-after"]) == WINDOW - 100


def test_refused_attempts_do_not_extend_the_lock(site: Site) -> None:
    fail(site, 5)
    for _ in range(10):
        site.clock.advance(20)
        assert site.login("olga", "wrong-again").status_code == 429
    site.clock.advance(WINDOW - 200 + 1)
    assert site.login("olga").status_code == 303


def test_failures_from_one_address_lock_out_every_name_from_it(site: Site) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5"):
        site.login(name, "guess")
    assert site.login("vera").status_code == 429


def test_a_name_locked_out_is_told_nothing_about_whether_it_exists(site: Site) -> None:
    fail(site, 5, user="nobody-here")
    assert site.login("nobody-here").status_code == 429


def test_a_success_forgets_the_name_s_failures_not_the_address_s(site: Site) -> None:
    fail(site, 2)
    assert site.login("olga").status_code == 303
    assert len(site.keys("failures:user")) == 0
    assert len(site.keys("failures:address")) == 1


def test_failure_counts_expire_in_redis_too(site: Site) -> None:
    fail(site, 1)
    keys = site.keys("failures")
    assert len(keys) == 2
    assert all(0 < site.redis.ttl(k) <= WINDOW for k in keys)
