"""Icinga 2 request bodies and response readers, without any HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ceph_tasks.monitoring.backend import DowntimeRequest
from ceph_tasks.monitoring.icinga import (
    parse_downtimes,
    parse_scheduled,
    query_body,
    schedule_body,
)

START = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
HOSTILE = 'node2" || true || "'


def request(host: str = "node2", services: tuple[str, ...] = ()) -> DowntimeRequest:
    return DowntimeRequest(
        host=host, start=START, end=START + timedelta(hours=2), comment="disk swap",
        author="cephmaint", reference="wf-42", services=services,
    )


def test_a_host_downtime_covers_all_services_and_is_fixed() -> None:
    body = schedule_body(request())
    assert body["type"] == "Host"
    assert body["all_services"] is True
    assert body["fixed"] is True
    assert body["start_time"] == int(START.timestamp())
    assert body["end_time"] == int(START.timestamp()) + 7200
    assert body["comment"] == "disk swap [cephmaint:wf-42]"


def test_the_host_name_travels_only_as_a_filter_variable() -> None:
    for body in (schedule_body(request(HOSTILE)), query_body(HOSTILE)):
        assert HOSTILE not in body["filter"]
        assert HOSTILE in body["filter_vars"].values()


def test_service_downtimes_name_their_services_as_a_variable() -> None:
    body = schedule_body(request(services=("ssh", "disk /")))
    assert body["type"] == "Service"
    assert "all_services" not in body
    assert "ssh" not in body["filter"]
    assert ["ssh", "disk /"] in body["filter_vars"].values()


def test_listed_downtimes_are_read_with_their_end_in_utc() -> None:
    document = {
        "results": [
            {
                "name": "node2!a1b2",
                "type": "Downtime",
                "attrs": {
                    "name": "a1b2", "host_name": "node2", "service_name": "",
                    "author": "cephmaint", "comment": "x [cephmaint:wf-42]",
                    "end_time": float(START.timestamp()),
                },
                "joins": {}, "meta": {},
            }
        ]
    }
    [found] = parse_downtimes(document)
    assert found.id == "node2!a1b2"
    assert found.service == ""
    assert found.end == START


def test_a_downtime_listing_without_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="results"):
        parse_downtimes({"error": 404})


def test_scheduled_names_come_from_each_result() -> None:
    document = {
        "results": [
            {"code": 200.0, "legacy_id": 2.0, "name": "node2!abc",
             "status": "Successfully scheduled downtime 'node2!abc' for object 'node2'."}
        ]
    }
    assert parse_scheduled(document) == ("node2!abc",)


def test_a_failed_schedule_result_is_an_error() -> None:
    with pytest.raises(ValueError, match="failure"):
        parse_scheduled({"results": [{"code": 500.0, "status": "Invalid downtime"}]})
    with pytest.raises(ValueError, match="no downtime"):
        parse_scheduled({"results": []})
