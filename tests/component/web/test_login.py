"""Signing in and out: each role, wrong passwords, the login form's own CSRF token."""

from __future__ import annotations

import re

import pytest

from cephmaint.web.accounts import Role
from tests.component.web.conftest import PASSWORDS, ROLES, MakeSite, Site


@pytest.mark.parametrize("user", sorted(PASSWORDS))
def test_each_role_signs_in_and_sees_its_name_and_role_in_the_header(site: Site,
                                                                    user: str) -> None:
    answer = site.login(user)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    page = site.client.get("/")
    assert page.status_code == 200
    assert f'<span class="user">{user}</span>' in page.text
    assert f'>{ROLES[user]}</span>' in page.text
    assert 'action="/logout"' in page.text


def test_a_wrong_password_says_only_wrong_user_or_password(site: Site) -> None:
    answer = site.login("olga", "not-the-password")
    assert answer.status_code == 401
    assert "Wrong user or password." in answer.text
    assert "cephmaint-session" not in answer.headers.get("set-cookie", "")
    assert site.client.get("/").status_code == 303


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    unknown = site.login("mallory", "whatever-password")
    wrong = site.login("olga", "whatever-password")
    assert unknown.status_code == wrong.status_code == 401

    def without_tokens(html: str) -> str:
        return re.sub(r'name="csrf" value="[^"]+"', "", html)

    assert without_tokens(unknown.text) == without_tokens(wrong.text)
    assert "mallory" not in unknown.text


def test_a_login_without_its_form_token_is_refused(site: Site) -> None:
    answer = site.client.post("/login", data={"user": "olga", "password": PASSWORDS["olga"]})
    assert answer.status_code == 403
    assert not site.keys("session")


def test_a_login_whose_token_differs_from_its_cookie_is_refused(site: Site) -> None:
    site.client.get("/login")
    answer = site.client.post("/login", data={"csrf": "forged", "user": "olga",
                                              "password": PASSWORDS["olga"]})
    assert answer.status_code == 403
    assert not site.keys("session")


def test_every_login_gets_a_new_session_id_and_ends_the_one_held(site: Site) -> None:
    site.login("olga")
    first = site.client.cookies["cephmaint-session"]
    # A second login form, open in another tab since before the first login.
    site.client.cookies.set("cephmaint-login", "token-of-another-tab")
    answer = site.client.post("/login", data={"csrf": "token-of-another-tab", "user": "olga",
                                              "password": PASSWORDS["olga"]})
    assert answer.status_code == 303
    second = site.client.cookies["cephmaint-session"]
    assert first != second
    assert len(site.keys("session")) == 1


def test_a_page_without_a_session_goes_to_the_login_form(site: Site) -> None:
    answer = site.client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_the_login_form_for_someone_signed_in_goes_to_the_fleet_page(site: Site) -> None:
    site.login("vera")
    assert site.client.get("/login").headers["location"] == "/"


def test_the_session_cookie_is_http_only_and_same_site_strict(site: Site) -> None:
    cookie = site.login("olga").headers["set-cookie"].lower()
    assert "cephmaint-session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie


def test_behind_https_the_cookies_are_secure_and_host_only(make_site: MakeSite) -> None:
    site = make_site(public_url="https://cephmaint.example.com")
    form = site.client.get("/login")
    assert "__Host-cephmaint-login=" in form.headers["set-cookie"]
    assert "secure" in form.headers["set-cookie"].lower()
    # A browser keeps a Secure cookie off plain HTTP: send the form's token by hand.
    token = form.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    site.client.cookies.set("__Host-cephmaint-login", token)
    answer = site.client.post("/login", data={"csrf": token, "user": "olga",
                                              "password": PASSWORDS["olga"]})
    assert answer.status_code == 303
    cookie = next(v for k, v in answer.headers.multi_items()
                  if k == "set-cookie" and "__Host-cephmaint-session=" in v).lower()
    assert "secure" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert "domain" not in cookie


def test_logout_ends_the_session_in_redis_and_in_the_browser(site: Site) -> None:
    site.login("tim")
    held = site.client.cookies["cephmaint-session"]
    answer = site.client.post("/logout", data={"csrf": site.page_token()})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert not site.keys("session")
    site.client.cookies.set("cephmaint-session", held)
    assert site.client.get("/").status_code == 303


def test_logout_without_the_session_token_is_refused_and_ends_nothing(site: Site) -> None:
    site.login("tim")
    assert site.client.post("/logout", data={}).status_code == 403
    assert site.client.get("/").status_code == 200


def test_a_role_is_not_taken_from_the_form(site: Site) -> None:
    site.login("vera", role=str(Role.OPERATOR))
    assert ">viewer</span>" in site.client.get("/").text


def test_a_second_look_at_the_login_form_keeps_the_browser_s_token(site: Site) -> None:
    # Another tab's live refresh sent to /login must not void the form open in this one.
    first = site.client.get("/login").cookies["cephmaint-login"]
    again = site.client.get("/login")
    assert again.cookies["cephmaint-login"] == first and first in again.text
    site.client.cookies.clear()
    assert site.client.get("/login").cookies["cephmaint-login"] != first
