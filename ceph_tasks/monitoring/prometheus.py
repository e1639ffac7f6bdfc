"""Prometheus instant queries: the answer's largest value (pure parser) and the adapter."""

from __future__ import annotations

import math
from typing import Any, Protocol

import requests

from ceph_tasks.errors import MonitoringError
from ceph_tasks.http import call, join_url, json_body, strip_credentials

QUERY_PATH = "/api/v1/query"

#: A client-impact reading must not stall a weight step for long.
QUERY_TIMEOUT = 10.0


class InstantQuery(Protocol):
    """Something that evaluates a PromQL expression now and gives its largest value."""

    def largest(self, query: str) -> float | None:
        """The largest sample of the query's answer; None when it holds no series."""
        ...


def largest_value(document: Any) -> float | None:
    """The largest sample of a /api/v1/query answer; ValueError when the shape is wrong.

    A vector gives its largest sample, a scalar its value; NaN samples (a division by
    zero in the query) are left out, and an answer with no samples left is None.
    """
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    if document.get("status") != "success":
        raise ValueError(f"status {document.get('status')!r}: {document.get('error', '')}")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ValueError("no data in the answer")
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "vector" and isinstance(result, list):
            samples = [float(series["value"][1]) for series in result]
        elif kind == "scalar" and isinstance(result, list):
            samples = [float(result[1])]
        else:
            raise ValueError(f"a {kind!r} result: write a query that gives an instant vector")
    except (KeyError, IndexError, TypeError) as e:
        raise ValueError(f"a sample lacks or garbles {e}") from e
    numbers = [value for value in samples if not math.isnan(value)]
    return max(numbers) if numbers else None


class PrometheusQuery:
    """Instant queries against a Prometheus HTTP API."""

    def __init__(self, url: str, *, session: requests.Session | None = None,
                 timeout: float = QUERY_TIMEOUT) -> None:
        self._url = url
        self._session = session or requests.Session()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"PrometheusQuery(url={strip_credentials(self._url)!r})"

    def largest(self, query: str) -> float | None:
        """Evaluate query now; its largest sample, None if no series; MonitoringError else."""
        doing = f"Prometheus: instant query {query}"
        url = join_url(self._url, QUERY_PATH)
        response = call(self._session, "GET", url, doing=doing, error=MonitoringError,
                        timeout=self._timeout, params={"query": query}, ok=(200, 400, 422))
        document = json_body(response, doing=doing, error=MonitoringError, where=url)
        try:
            return largest_value(document)
        except ValueError as e:
            raise MonitoringError(f"{doing}: {strip_credentials(url)}: {e}") from e

