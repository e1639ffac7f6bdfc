"""/metrics: Prometheus's text format behind a bearer token, not behind the login."""

from __future__ import annotations

import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge

from tests.component.web.conftest import MakeSite, Site

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def scraped(make_site: MakeSite) -> Site:
    registry = CollectorRegistry()
    Gauge("cephmaint_test_maintenances", "Maintenances under way.", registry=registry).set(3)
    return make_site(registry=registry, metrics_token=TOKEN)


def test_the_right_bearer_token_gets_the_registry_s_metrics(scraped: Site) -> None:
    answer = scraped.client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == CONTENT_TYPE_LATEST
    assert "cephmaint_test_maintenances 3.0" in answer.text


def test_the_scheme_s_case_does_not_matter(scraped: Site) -> None:
    answer = scraped.client.get("/metrics", headers={"authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200


@pytest.mark.parametrize("authorization", [
    None, b"Bearer", f"Bearer {TOKEN}x".encode(), f"Basic {TOKEN}".encode(), b"Bearer wrong",
    "Bearer ünïcode".encode("latin-1")])
def test_without_the_right_token_it_is_401(scraped: Site, authorization: bytes | None) -> None:
    headers = {} if authorization is None else {b"authorization": authorization}
    answer = scraped.client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "cephmaint_test_maintenances" not in answer.text


def test_a_session_is_no_way_in(scraped: Site) -> None:
    scraped.login("olga")
    assert scraped.client.get("/metrics").status_code == 401


def test_without_a_token_configured_there_is_no_metrics_page(site: Site) -> None:
    assert site.client.get("/metrics").status_code == 404
    assert site.client.get("/metrics", headers={"authorization": "Bearer "}).status_code == 404
