"""What a cluster's health line says, and when a cluster is read again: the pure part, and
the cache's decisions on an executor that runs each read at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import replace
from typing import ParamSpec, TypeVar

import pytest

from ceph_tasks.ceph.models import Status
from ceph_tasks.errors import CephConnectError, CephInvalidCommand
from ceph_tasks.testing.fake_ceph import FakeCephClient
from cephmaint.web.health import (
    MAX_AGE,
    Counts,
    HealthLine,
    Reading,
    failed_reading,
    health_lines,
    is_stale,
    reading_of,
    to_read,
)
from cephmaint.web.health_cache import HealthCache, status_reader
from inventory import Cluster
from tests.support.lab import FIXTURES, lab_cluster
from workflows.listing import Listed, Row

P = ParamSpec("P")
T = TypeVar("T")
NOW = 1_800_000_000.0


def status(state: str) -> Status:
    """The captured `status` of a sandbox in a state (tests/fixtures/ceph/STATE)."""
    return Status.model_validate(json.loads((FIXTURES / state / "status.json").read_text()))


def cluster(name: str) -> Cluster:
    return lab_cluster().model_copy(update={"name": name})


class AtOnce(Executor):
    """An executor that runs each task as it is submitted."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_a_healthy_status_is_ok_with_every_osd_and_pg_counted() -> None:
    reading = reading_of(status("healthy"), NOW)
    assert reading.summary == "HEALTH_OK"
    assert (reading.osds_up, reading.osds_in, reading.osds) == (6, 6, 6)
    assert (reading.pgs_clean, reading.pgs) == (33, 33)
    assert reading.at == NOW and reading.error == ""
    assert HealthLine("lab", reading, Counts()).level == "ok"


def test_a_warning_names_each_check_with_its_summary() -> None:
    reading = reading_of(status("osd_down"), NOW)
    assert reading.summary == (
        "HEALTH_WARN: OSD_DOWN 1 osds down; PG_DEGRADED Degraded data redundancy: 112/800 "
        "objects degraded (14.000%), 10 pgs degraded")
    assert (reading.osds_up, reading.osds_in, reading.osds) == (5, 6, 6)
    assert (reading.pgs_clean, reading.pgs) == (23, 33)
    assert HealthLine("lab", reading, Counts()).level == "warn"


def test_a_muted_check_is_named_as_muted() -> None:
    raw = json.loads((FIXTURES / "osd_down" / "status.json").read_text())
    raw["health"]["checks"]["OSD_DOWN"]["muted"] = True
    reading = reading_of(Status.model_validate(raw), NOW)
    assert "OSD_DOWN 1 osds down (muted)" in reading.checks


def test_an_unreachable_cluster_s_line_has_the_error_on_one_line() -> None:
    error = CephConnectError("cannot connect to cluster far: no monitor answered within 5 s\n"
                             "tried mon.a\ntried mon.b")
    reading = failed_reading(error, NOW)
    assert reading.error == ("cannot connect to cluster far: no monitor answered within 5 s "
                             "(and 2 more lines)")
    assert reading.health is None and reading.summary == ""
    assert HealthLine("far", reading, None).level == "unreachable"
    assert HealthLine("far", None, None).level == "unread"


def test_a_stale_entry_is_read_again_a_fresh_one_is_not() -> None:
    readings = {"old": Reading(at=NOW - MAX_AGE), "fresh": Reading(at=NOW - MAX_AGE + 1),
                "busy": Reading(at=NOW - 600)}
    assert to_read(["old", "fresh", "busy", "new"], readings, {"busy"}, NOW) == ["old", "new"]
    assert is_stale(None, NOW)
    assert not is_stale(readings["fresh"], NOW)


def test_each_line_counts_its_cluster_s_running_waiting_and_queued_maintenances() -> None:
    base = Row(reference="r", cluster="lab", kind="replace", hosts=("node2",),
               state=Listed.RUNNING, step="", detail="", since=None, by="olga", done=0,
               total=1)
    rows = [base, replace(base, state=Listed.WAITING), replace(base, state=Listed.WAITING),
            replace(base, state=Listed.QUEUED), replace(base, state=Listed.DONE),
            replace(base, cluster="annex", state=Listed.FAILED)]
    lines = health_lines({"lab": None, "annex": None, "idle": None}, rows)
    assert [(line.cluster, line.counts) for line in lines] == [
        ("lab", Counts(running=1, waiting=2, queued=1)), ("annex", Counts()),
        ("idle", Counts())]
    assert [line.counts for line in health_lines({"lab": None}, None)] == [None]


def test_the_cache_reads_each_cluster_once_until_its_reading_is_stale() -> None:
    reads: list[str] = []
    clock = Clock()

    def reader(each: Cluster) -> Status:
        reads.append(each.name)
        return status("healthy")

    cache = HealthCache(lambda: [cluster("lab"), cluster("annex")], reader, clock,
                        executor=AtOnce())
    first = cache()
    assert list(first) == ["lab", "annex"] and reads == ["lab", "annex"]
    clock.now += MAX_AGE - 1
    assert cache() == first
    assert reads == ["lab", "annex"]
    clock.now += 1
    again = cache()
    assert reads == ["lab", "annex", "lab", "annex"]
    assert {reading.at for reading in again.values() if reading} == {NOW + MAX_AGE}


def test_an_unreachable_cluster_does_not_keep_the_others_from_being_read() -> None:
    def reader(each: Cluster) -> Status:
        if each.name == "far":
            raise CephConnectError("cannot connect to cluster far: no monitor answered")
        return status("osd_down")

    readings = HealthCache(lambda: [cluster("far"), cluster("lab")], reader, Clock(),
                           executor=AtOnce())()
    far, lab = readings["far"], readings["lab"]
    assert far is not None and far.error == "cannot connect to cluster far: no monitor answered"
    assert lab is not None and lab.summary.startswith("HEALTH_WARN: OSD_DOWN")


def test_an_unexpected_failure_of_a_read_is_on_its_line_too() -> None:
    def reader(each: Cluster) -> Status:
        raise OSError("boom")

    readings = HealthCache(lambda: [cluster("lab")], reader, Clock(), executor=AtOnce())()
    lab = readings["lab"]
    assert lab is not None and lab.error == "boom"


def test_a_cluster_gone_from_the_inventory_is_shown_no_more() -> None:
    clusters = [cluster("lab"), cluster("annex")]
    cache = HealthCache(lambda: clusters, lambda each: status("healthy"), Clock(),
                        executor=AtOnce())
    cache()
    clusters.pop()
    assert list(cache()) == ["lab"]


def test_the_reader_closes_its_client_even_when_the_read_fails() -> None:
    client = FakeCephClient()  # knows no command: `status` fails
    with pytest.raises(CephInvalidCommand):
        status_reader(lambda each: client)(cluster("lab"))
    assert client.closed


def test_a_never_read_cluster_is_waited_for_only_so_long() -> None:
    let_go = threading.Event()

    def reader(each: Cluster) -> Status:
        let_go.wait(10)
        return status("healthy")

    cache = HealthCache(lambda: [cluster("slow")], reader, Clock(), first_wait=0.05)
    try:
        started = time.monotonic()
        assert cache() == {"slow": None}
        assert time.monotonic() - started < 2
        let_go.set()
        deadline = time.monotonic() + 5
        while cache()["slow"] is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        let_go.set()
        cache.close()


def test_a_stale_cluster_s_refresh_is_not_waited_for() -> None:
    clock, let_go, reads = Clock(), threading.Event(), []

    def reader(each: Cluster) -> Status:
        reads.append(1)
        if len(reads) > 1:
            let_go.wait(10)
        return status("healthy")

    cache = HealthCache(lambda: [cluster("lab")], reader, clock)
    try:
        first = cache()
        clock.now += MAX_AGE
        started = time.monotonic()
        assert cache() == first
        assert time.monotonic() - started < 2
    finally:
        let_go.set()
        cache.close()
