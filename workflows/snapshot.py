"""Reading a cluster's state once, before planning: the one place planning touches Ceph."""

from __future__ import annotations

from collections.abc import Callable

from ceph_tasks.ceph import Ceph, CephClient, RadosClient
from inventory import Cluster
from workflows.state import ClusterState

Connect = Callable[[Cluster], CephClient]


def read_state(ceph: Ceph) -> ClusterState:
    """Read everything a builder needs from a live cluster."""
    return ClusterState(status=ceph.status(), tree=ceph.osd_tree(), df=ceph.osd_df(),
                        pools=ceph.pool_ls_detail(), rules=ceph.crush_rule_dump(),
                        pgs=ceph.pg_dump_brief())


def read_cluster_state(cluster: Cluster, connect: Connect = RadosClient.for_cluster
                       ) -> ClusterState:
    """Connect to a cluster, read its state once, disconnect."""
    client = connect(cluster)
    try:
        return read_state(Ceph(client))
    finally:
        client.close()
