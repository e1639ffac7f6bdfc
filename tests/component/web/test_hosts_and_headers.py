"""The Host allow-list, the security headers on every answer, and the static files."""

from __future__ import annotations

import pytest

from tests.component.web.conftest import MakeSite, Site


@pytest.mark.parametrize("host", ["evil.example", "testserver.evil.example", "", "[::1]"])
def test_a_host_not_allowed_gets_400(site: Site, host: str) -> None:
    answer = site.client.get("/login", headers={"host": host})
    assert answer.status_code == 400
    assert "set-cookie" not in answer.headers


def test_a_host_not_allowed_cannot_post_a_login(site: Site) -> None:
    site.client.get("/login")
    token = site.client.cookies["cephmaint-login"]
    answer = site.client.post("/login", headers={"host": "evil.example"},
                              data={"csrf": token, "user": "olga", "password": "x"})
    assert answer.status_code == 400
    assert not site.keys()


@pytest.mark.parametrize("host", ["testserver", "testserver:8080", "TestServer", "127.0.0.1:80"])
def test_an_allowed_host_passes_whatever_its_port_and_case(site: Site, host: str) -> None:
    assert site.client.get("/login", headers={"host": host}).status_code == 200


def test_an_ipv6_literal_may_be_allowed(make_site: MakeSite) -> None:
    site = make_site(allowed_hosts="[::1],testserver")
    assert site.client.get("/login", headers={"host": "[::1]:8080"}).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/", "/nowhere", "/metrics", "/static/style.css"])
def test_every_answer_carries_the_security_headers(site: Site, path: str) -> None:
    headers = site.client.get(path).headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_a_refused_host_gets_the_security_headers_too(site: Site) -> None:
    headers = site.client.get("/login", headers={"host": "evil.example"}).headers
    assert headers["x-frame-options"] == "DENY"


def test_pages_are_never_cached_static_files_may_be(site: Site) -> None:
    assert site.client.get("/login").headers["cache-control"] == "no-store"
    site.login("vera")
    assert site.client.get("/").headers["cache-control"] == "no-store"
    assert "no-store" not in site.client.get("/static/style.css").headers.get(
        "cache-control", "")


def test_the_pages_load_nothing_from_elsewhere(site: Site) -> None:
    site.login("olga")
    page = site.client.get("/").text + site.client.get("/login").text
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert "style=" not in page
    css = site.client.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text


def test_an_unknown_page_is_a_404_page(site: Site) -> None:
    answer = site.client.get("/nowhere")
    assert answer.status_code == 404
    assert "Not found" in answer.text
