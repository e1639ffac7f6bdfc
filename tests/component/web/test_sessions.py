"""Server-side sessions: hashed keys with a TTL, sliding expiry, and revocation."""

from __future__ import annotations

import hashlib

from cephmaint.web.accounts import Role
from cephmaint.web.passwords import hash_password
from tests.component.web.conftest import MakeSite, Site

LIFETIME = 8 * 3600.0  # Settings.session_seconds' default


def test_redis_holds_a_hash_of_the_session_id_with_a_ttl_never_the_id(site: Site) -> None:
    site.login("olga")
    session_id = site.client.cookies["cephmaint-session"]
    key = f"{site.prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"
    assert site.keys("session") == {key}
    assert 0 < site.redis.ttl(key) <= LIFETIME
    stored = site.redis.hgetall(key)
    assert {k.decode() for k in stored} == {"user", "role", "csrf", "created", "used", "stamp"}
    assert session_id.encode() not in b"".join([*stored.values(), *site.redis.keys("*")])
    assert stored[b"user"] == b"olga"
    assert stored[b"role"] == b"operator"


def test_a_session_unused_for_its_lifetime_ends(site: Site) -> None:
    site.login("vera")
    site.clock.advance(LIFETIME + 1)
    assert site.client.get("/").status_code == 303
    assert not site.keys("session")


def test_each_use_starts_the_lifetime_again(site: Site) -> None:
    site.login("vera")
    key = next(iter(site.keys("session")))
    for _ in range(3):
        site.clock.advance(LIFETIME - 60)
        site.redis.expire(key, 5)  # as if the TTL had run down too
        assert site.client.get("/").status_code == 200
        assert site.redis.ttl(key) > LIFETIME - 10
    assert site.client.get("/").status_code == 200


def test_a_session_ended_by_redis_expiry_is_gone(site: Site) -> None:
    site.login("vera")
    site.redis.delete(*site.keys("session"))
    assert site.client.get("/").status_code == 303


def test_a_role_change_in_the_users_file_ends_the_session_at_once(site: Site) -> None:
    site.login("olga")
    site.set_role("olga", Role.VIEWER)
    assert site.client.get("/").status_code == 303
    assert not site.keys("session")


def test_a_user_removed_from_the_users_file_loses_the_session_at_once(site: Site) -> None:
    site.login("tim")
    site.set_role("tim", None)
    assert site.client.get("/").status_code == 303
    assert not site.keys("session")


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(site: Site) -> None:
    site.login("tim")
    site.set_role("tim", Role.TECHNICIAN, hash_password("a-brand-new-password"))
    assert site.client.get("/").status_code == 303
    assert site.login("tim", "a-brand-new-password").status_code == 303


def test_a_forged_session_id_is_no_session(site: Site) -> None:
    site.client.cookies.set("cephmaint-session", "forged-id")
    assert site.client.get("/").status_code == 303
    site.client.cookies.set("cephmaint-session", "x" * 10_000)
    assert site.client.get("/").status_code == 303


def test_a_users_file_turned_bad_keeps_everyone_out_until_mended(site: Site) -> None:
    site.login("olga")
    good = site.users_path.read_text()
    site.users_path.write_text("- name: olga\n  role: root\n")
    answer = site.client.get("/")
    assert answer.status_code == 503
    assert "configuration is invalid" in answer.text
    assert "root" not in answer.text
    held = site.client.cookies["cephmaint-session"]
    site.client.cookies.clear()
    assert site.login("olga").status_code == 503
    site.users_path.write_text(good)
    site.client.cookies.set("cephmaint-session", held)
    assert site.client.get("/").status_code == 200


def test_an_unreachable_state_redis_is_a_503_not_a_way_in(make_site: MakeSite) -> None:
    site = make_site(store_url="redis://127.0.0.1:1/0")
    site.client.cookies.set("cephmaint-session", "some-id")
    answer = site.client.get("/")
    assert answer.status_code == 503
    assert "cannot be reached" in answer.text
    site.client.cookies.clear()
    assert site.login("olga").status_code == 503
