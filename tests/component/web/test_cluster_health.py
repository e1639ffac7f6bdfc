"""The clusters' health on the fleet page: one line per cluster of the inventory, read from
captured Ceph answers through the typed access, cached, and never a broken page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ceph_tasks.ceph.models import Status
from ceph_tasks.errors import CephConnectError
from ceph_tasks.testing.fake_ceph import FakeCephClient
from cephmaint.web.health_cache import Reader, status_reader
from inventory import Cluster
from inventory.errors import InventoryLoadError, Problem
from tests.component.web.conftest import START, MakeSite
from tests.support.lab import FIXTURES, lab_cluster
from workflows.listing import Listed, Row

BASE = Row(reference="", cluster="lab", kind="replace", hosts=("node2",),
           state=Listed.RUNNING, step="", detail="", since=START - 600, by="olga", done=1,
           total=9)


def cluster(name: str) -> Cluster:
    """The lab cluster of tests.support.lab, under another name."""
    return lab_cluster().model_copy(update={"name": name})


def captured(states: dict[str, str], opened: list[FakeCephClient] | None = None) -> Reader:
    """A reader answering each cluster from a captured state (tests/fixtures/ceph/STATE)."""
    def connect(each: Cluster) -> FakeCephClient:
        client = FakeCephClient.from_fixtures(FIXTURES / states[each.name])
        if opened is not None:
            opened.append(client)
        return client
    return status_reader(connect)


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_each_cluster_has_its_health_line_above_the_maintenances(make_site: MakeSite) -> None:
    rows = [replace(BASE, reference="replace.node2.a", cluster="lab"),
            replace(BASE, reference="replace.node1.b", cluster="lab", state=Listed.QUEUED),
            replace(BASE, reference="replace.node0.c", cluster="annex", state=Listed.WAITING)]
    site = make_site(fleet=lambda: rows, clusters=[cluster("lab"), cluster("annex")],
                     reader=captured({"lab": "healthy", "annex": "osd_down"}))
    site.login("vera")
    page = site.client.get("/")
    assert page.status_code == 200
    text = page.text
    assert text.index("Clusters' health") < text.index("replace.node2.a")
    lab, annex = text.split("<th scope=\"row\">")[1:3]
    assert lab.startswith("lab<") and annex.startswith("annex<")
    assert "HEALTH_OK" in lab
    assert "6 up, 6 in of 6" in lab
    assert "33 of 33 active+clean" in lab
    assert "1 running, 0 waiting, 1 queued" in lab
    assert "2027-01-15 08:00:00" in lab  # START, in UTC
    assert "HEALTH_WARN: OSD_DOWN 1 osds down; PG_DEGRADED Degraded data redundancy" in annex
    assert "5 up, 6 in of 6" in annex
    assert "23 of 33 active+clean" in annex
    assert "0 running, 1 waiting, 0 queued" in annex


def test_an_unreachable_cluster_says_so_and_the_page_still_shows(make_site: MakeSite) -> None:
    healthy = captured({"lab": "healthy"})

    def reader(each: Cluster) -> Status:
        if each.name == "far":
            raise CephConnectError("cannot connect to cluster far (mon.far.example.net): "
                                   "no monitor answered within 5 s\nsecond line")
        return healthy(each)

    site = make_site(clusters=[cluster("far"), cluster("lab")], reader=reader)
    site.login("vera")
    page = site.client.get("/")
    assert page.status_code == 200
    assert ("cannot be reached: cannot connect to cluster far (mon.far.example.net): no "
            "monitor answered within 5 s (and 1 more line)") in page.text
    assert "HEALTH_OK" in page.text
    assert "No maintenance is known." in page.text


def test_what_an_unreachable_cluster_says_is_escaped(make_site: MakeSite) -> None:
    def reader(each: Cluster) -> Status:
        raise CephConnectError("<script>alert(1)</script>")

    site = make_site(clusters=[cluster("lab")], reader=reader)
    site.login("vera")
    page = site.client.get("/").text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_health_lines_show_even_when_the_maintenances_cannot_be_read(
        make_site: MakeSite) -> None:
    def broken() -> list[Row]:
        raise CephConnectError("cannot reach the state store")

    site = make_site(fleet=broken, clusters=[cluster("lab")],
                     reader=captured({"lab": "healthy"}))
    site.login("vera")
    page = site.client.get("/")
    assert page.status_code == 503
    assert "HEALTH_OK" in page.text
    assert "Cannot read the maintenances" in page.text


def test_an_inventory_that_cannot_be_read_is_said_and_the_maintenances_still_show(
        make_site: MakeSite) -> None:
    def broken() -> list[Cluster]:
        raise InventoryLoadError([Problem("inventory.yaml", "clusters[0]", 3, "bad name")])

    site = make_site(fleet=lambda: [replace(BASE, reference="replace.node2.a")],
                     clusters=[cluster("lab")], reader=captured({"lab": "healthy"}))
    site.health.clusters = broken
    site.login("vera")
    page = site.client.get("/")
    assert page.status_code == 200
    assert ("Cannot read the inventory&#39;s clusters: inventory.yaml:3: clusters[0]: bad name"
            in page.text)
    assert "replace.node2.a" in page.text


def test_each_read_closes_its_client(make_site: MakeSite) -> None:
    opened: list[FakeCephClient] = []
    site = make_site(clusters=[cluster("lab"), cluster("annex")],
                     reader=captured({"lab": "healthy", "annex": "osd_down"}, opened))
    site.login("vera")
    site.client.get("/")
    assert len(opened) == 2
    assert all(client.closed for client in opened)
    assert [call.prefix for client in opened for call in client.calls] == ["status", "status"]


def test_page_views_show_the_cached_health_and_only_a_stale_one_is_read_again(
        make_site: MakeSite) -> None:
    reads: list[float] = []
    healthy, degraded = captured({"lab": "healthy"}), captured({"lab": "osd_down"})
    let_go = threading.Event()

    def reader(each: Cluster) -> Status:
        reads.append(site.clock())
        if len(reads) == 1:
            return healthy(each)
        # The second read hangs until the test lets it go: the page does not wait for it.
        assert let_go.wait(10)
        return degraded(each)

    site = make_site(clusters=[cluster("lab")], reader=reader)
    site.login("vera")
    assert "HEALTH_OK" in site.client.get("/").text
    site.clock.advance(29)
    assert "HEALTH_OK" in site.client.get("/").text
    assert len(reads) == 1
    site.clock.advance(1)
    stale = site.client.get("/").text
    assert "HEALTH_OK" in stale and "2027-01-15 08:00:00" in stale
    wait_until(lambda: len(reads) == 2)
    let_go.set()
    wait_until(lambda: "HEALTH_WARN" in site.client.get("/").text)
    assert "2027-01-15 08:00:30" in site.client.get("/").text
    assert len(reads) == 2
