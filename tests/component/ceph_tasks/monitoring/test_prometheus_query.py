"""PrometheusQuery against the documented /api/v1/query answers, served by `responses`."""

from __future__ import annotations

import pytest
import requests
import responses

from ceph_tasks.errors import MonitoringError
from ceph_tasks.monitoring.prometheus import PrometheusQuery

BASE = "http://prom.example:9090/prefix"
URL = f"{BASE}/api/v1/query"
QUERY = "max by (ceph_daemon) (ceph_osd_apply_latency_ms)"


def vector(*values: str) -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"ceph_daemon": f"osd.{i}"}, "value": [1764770000.1, value]}
        for i, value in enumerate(values)]}}


@responses.activate
def test_the_largest_sample_of_the_vector_is_the_answer_and_the_query_is_sent() -> None:
    responses.add(responses.GET, URL, json=vector("0.1", "0.42", "NaN", "0.3"))
    assert PrometheusQuery(BASE).largest(QUERY) == 0.42
    sent = responses.calls[0].request
    assert sent.params == {"query": QUERY}


@responses.activate
def test_an_empty_vector_is_no_value() -> None:
    responses.add(responses.GET, URL, json=vector())
    assert PrometheusQuery(BASE).largest(QUERY) is None


@responses.activate
def test_a_scalar_answer_is_its_value() -> None:
    responses.add(responses.GET, URL, json={"status": "success", "data": {
        "resultType": "scalar", "result": [1764770000.1, "7"]}})
    assert PrometheusQuery(BASE).largest("scalar(up)") == 7


@responses.activate
def test_a_bad_query_is_a_monitoring_error_with_prometheus_reason() -> None:
    responses.add(responses.GET, URL, status=400, json={
        "status": "error", "errorType": "bad_data", "error": "parse error at char 4"})
    with pytest.raises(MonitoringError, match=r"instant query .*parse error at char 4"):
        PrometheusQuery(BASE).largest("max(")


@responses.activate
def test_a_range_vector_is_refused_with_a_hint() -> None:
    responses.add(responses.GET, URL, json={"status": "success", "data": {
        "resultType": "matrix", "result": []}})
    with pytest.raises(MonitoringError, match="instant vector"):
        PrometheusQuery(BASE).largest("up[5m]")


@responses.activate
def test_a_server_error_or_no_json_is_a_monitoring_error() -> None:
    responses.add(responses.GET, URL, status=503, body="overloaded")
    with pytest.raises(MonitoringError, match=r"answered 503 \(server error\): overloaded"):
        PrometheusQuery(BASE).largest(QUERY)
    responses.replace(responses.GET, URL, status=200, body="<html>")
    with pytest.raises(MonitoringError, match="did not answer JSON"):
        PrometheusQuery(BASE).largest(QUERY)


@responses.activate
def test_an_unreachable_prometheus_is_a_monitoring_error_without_credentials() -> None:
    secret = "http://user:pw@prom.example:9090"
    responses.add(responses.GET, "http://prom.example:9090/api/v1/query",
                  body=requests.ConnectionError("refused"))
    with pytest.raises(MonitoringError, match="ConnectionError") as caught:
        PrometheusQuery(secret).largest(QUERY)
    assert "pw" not in str(caught.value)
