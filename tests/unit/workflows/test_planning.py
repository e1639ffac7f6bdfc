"""Runbook arguments name a host or an OSD; the cluster holding it is found, or named."""

from __future__ import annotations

import pytest

from inventory import Cluster, Inventory
from workflows.errors import WorkflowsError
from workflows.planning import cluster_of, osd_cluster, osd_number


def test_the_cluster_holding_a_host_or_an_osd_is_found(cluster: Cluster) -> None:
    inventory = Inventory(clusters=(cluster,))
    assert cluster_of(inventory, "node2") is inventory.clusters[0]
    assert osd_cluster(inventory, 5) is inventory.clusters[0]


def test_an_unknown_host_or_osd_asks_for_the_cluster(cluster: Cluster) -> None:
    inventory = Inventory(clusters=(cluster,))
    with pytest.raises(WorkflowsError, match="host node9 is in no cluster"):
        cluster_of(inventory, "node9")
    with pytest.raises(WorkflowsError, match=r"osd\.42 is in no cluster"):
        osd_cluster(inventory, 42)


@pytest.mark.parametrize(("text", "number"), [("osd.5", 5), ("12", 12)])
def test_an_osd_is_written_with_or_without_its_prefix(text: str, number: int) -> None:
    assert osd_number(text) == number


@pytest.mark.parametrize("text", ["osd.", "node2", "osd.5; rm -rf /", "-1"])
def test_anything_else_is_not_an_osd(text: str) -> None:
    with pytest.raises(WorkflowsError, match="is not an OSD"):
        osd_number(text)
