"""Comparing a cluster's inventory with the live CRUSH layout."""

from __future__ import annotations

import pytest

from inventory import Cluster, MovedOsd, OsdPlacement, compare_layout, parse_inventory
from tests.unit.inventory.builders import cluster_data, dump, host_data


@pytest.fixture
def cluster() -> Cluster:
    data = cluster_data("lab")
    data["hosts"][0]["devices"].append({"path": "/dev/sdc"})
    data["hosts"].append(host_data("spare", "127.0.0.12"))
    data["osds"].append({"id": 2, "host": "node0", "device": "/dev/sdc", "device_class": "ssd"})
    return parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]


def test_matching_layout_is_ok(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0, 2}, "node1": {1}})
    assert report.ok
    assert report.render() == "cluster lab: the inventory matches the live CRUSH layout"


def test_spare_host_without_osds_or_bucket_is_not_a_difference(cluster: Cluster) -> None:
    assert compare_layout(cluster, {"node0": {0, 2}, "node1": {1}}).hosts_only_in_inventory == ()


def test_spare_host_with_an_empty_live_bucket_is_ok(cluster: Cluster) -> None:
    assert compare_layout(cluster, {"node0": {0, 2}, "node1": {1}, "spare": set()}).ok


def test_host_with_osds_missing_live_is_reported(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0, 2}})
    assert report.hosts_only_in_inventory == ("node1",)
    assert report.osds_only_in_inventory == (OsdPlacement(1, "node1"),)
    assert not report.ok


def test_live_bucket_unknown_to_the_inventory_is_reported(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0, 2}, "node1": {1}, "old": set(), "new": {9}})
    assert report.hosts_only_live == ("new", "old")
    assert report.osds_only_live == (OsdPlacement(9, "new"),)


def test_osd_missing_live_and_extra_live_osd_are_reported(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0, 7}, "node1": {1}})
    assert report.osds_only_in_inventory == (OsdPlacement(2, "node0"),)
    assert report.osds_only_live == (OsdPlacement(7, "node0"),)
    assert report.hosts_only_in_inventory == ()


def test_osd_under_another_host_is_reported_as_moved(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0}, "node1": {1, 2}})
    assert report.osds_on_other_host == (MovedOsd(2, "node0", "node1"),)
    assert report.osds_only_in_inventory == ()
    assert report.osds_only_live == ()


def test_osd_listed_under_two_live_hosts_is_reported(cluster: Cluster) -> None:
    report = compare_layout(cluster, {"node0": {0, 2}, "node1": {1, 2}})
    assert report.osds_on_other_host == (MovedOsd(2, "node0", "node1"),)


def test_render_lists_every_difference(cluster: Cluster) -> None:
    text = compare_layout(cluster, {"node0": {0, 7}, "node1": {1, 2}, "old": set()}).render()
    assert text.splitlines() == [
        "cluster lab: the inventory and the live CRUSH layout differ",
        "  host old: CRUSH bucket live, not in the inventory",
        "  osd.7: live under node0, not in the inventory",
        "  osd.2: live under node1, inventory says node0",
    ]


def test_empty_cluster_against_empty_layout_is_ok() -> None:
    data = cluster_data("empty")
    data["hosts"], data["osds"] = [], []
    empty = parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]
    assert compare_layout(empty, {}).ok
