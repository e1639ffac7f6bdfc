"""IcingaDowntimes against the documented Icinga 2 API shapes, served by `responses`."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from pydantic import SecretStr

from ceph_tasks.errors import MonitoringError
from ceph_tasks.monitoring.backend import DowntimeRequest, tagged_comment
from ceph_tasks.monitoring.icinga import IcingaDowntimes
from inventory.settings import IcingaTarget

BASE = "https://icinga.example.net:5665"
PASSWORD = "s3cr3t-icinga-pw"
START = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
LIST = f"{BASE}/v1/objects/downtimes"
SCHEDULE = f"{BASE}/v1/actions/schedule-downtime"
REMOVE = f"{BASE}/v1/actions/remove-downtime"


def client() -> IcingaDowntimes:
    target = IcingaTarget(url=BASE, user="cephmaint", password=SecretStr(PASSWORD))
    return IcingaDowntimes(target)


def request() -> DowntimeRequest:
    return DowntimeRequest(
        host="node2", start=START, end=END, comment="disk swap", author="cephmaint",
        reference="wf-42",
    )


def downtime(name: str, service: str = "", reference: str = "wf-42") -> dict[str, object]:
    return {
        "name": name, "type": "Downtime", "joins": {}, "meta": {},
        "attrs": {
            "name": name.rsplit("!", 1)[-1], "host_name": "node2", "service_name": service,
            "author": "cephmaint", "comment": tagged_comment("disk swap", reference),
            "end_time": END.timestamp(),
        },
    }


def listing(*entries: dict[str, object]) -> None:
    responses.add(responses.POST, LIST, json={"results": list(entries)})


@responses.activate
def test_setting_schedules_a_host_downtime_when_none_exists() -> None:
    listing()
    responses.add(
        responses.POST, SCHEDULE,
        json={"results": [{
            "code": 200.0, "legacy_id": 7.0, "name": "node2!6f1c",
            "status": "Successfully scheduled downtime 'node2!6f1c' for object 'node2'.",
        }]},
    )
    result = client().set_downtime(request())
    assert (result.created, result.ids, result.backend) == (True, ("node2!6f1c",), "icinga")
    query, schedule = responses.calls
    assert query.request.headers["X-HTTP-Method-Override"] == "GET"
    assert query.request.headers["Accept"] == "application/json"
    assert json.loads(query.request.body or b"")["filter_vars"] == {"cephmaint_host": "node2"}
    sent = json.loads(schedule.request.body or b"")
    assert sent["filter_vars"] == {"cephmaint_host": "node2"}
    assert sent["all_services"] is True
    assert schedule.request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_setting_again_finds_the_existing_downtime_and_schedules_nothing() -> None:
    listing(downtime("node2!6f1c"), downtime("node2!ssh!77aa", service="ssh"))
    result = client().set_downtime(request())
    assert (result.created, result.ids) == (False, ("node2!6f1c",))
    assert len(responses.calls) == 1


@responses.activate
def test_removal_removes_the_tagged_downtimes_host_first() -> None:
    listing(
        downtime("node2!ssh!77aa", service="ssh"),
        downtime("node2!6f1c"),
        downtime("node2!9999", reference="wf-other"),
    )
    responses.add(responses.POST, REMOVE, json={"results": [{"code": 200.0, "status": "ok"}]})
    responses.add(responses.POST, REMOVE, status=404, json={"error": 404.0,
                                                           "status": "No objects found."})
    assert client().remove_downtime("node2", "wf-42") == 2
    removed = [json.loads(c.request.body or b"") for c in responses.calls[1:]]
    assert removed == [{"downtime": "node2!6f1c"}, {"downtime": "node2!ssh!77aa"}]


@responses.activate
def test_removal_of_a_missing_downtime_succeeds() -> None:
    listing()
    assert client().remove_downtime("node2", "wf-42") == 0
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "meaning"),
    [(401, "authentication refused"), (404, "not found"), (500, "server error")],
)
@responses.activate
def test_error_answers_name_the_host_and_url_but_not_the_password(
    status: int, meaning: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    listing()
    responses.add(
        responses.POST, SCHEDULE, status=status,
        json={"error": float(status), "status": "No objects found." if status == 404 else "x"},
    )
    with pytest.raises(MonitoringError) as caught:
        client().set_downtime(request())
    message = str(caught.value)
    assert "node2" in message
    assert SCHEDULE in message
    assert f"{status} ({meaning})" in message
    assert PASSWORD not in message
    assert PASSWORD not in caplog.text


@responses.activate
def test_an_unreachable_api_is_a_monitoring_error_caused_by_requests() -> None:
    responses.add(responses.POST, LIST, body=requests.ConnectionError("connection refused"))
    with pytest.raises(MonitoringError, match=r"node2.*ConnectionError") as caught:
        client().set_downtime(request())
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


@responses.activate
def test_a_listing_of_another_shape_is_a_monitoring_error() -> None:
    responses.add(responses.POST, LIST, body="<html>proxy login</html>")
    with pytest.raises(MonitoringError, match="did not answer JSON"):
        client().remove_downtime("node2", "wf-42")


@responses.activate
def test_a_failed_result_inside_a_200_is_a_monitoring_error() -> None:
    listing()
    responses.add(responses.POST, SCHEDULE, json={"results": []})
    with pytest.raises(MonitoringError, match=r"node2.*no downtime"):
        client().set_downtime(request())


def test_the_password_is_not_in_the_repr() -> None:
    shown = repr(client())
    assert BASE in shown
    assert PASSWORD not in shown
