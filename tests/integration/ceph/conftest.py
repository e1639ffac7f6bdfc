"""Fixtures of the Ceph client tests: both client implementations against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceph_tasks.ceph.cli_client import CliClient
from ceph_tasks.ceph.client import CephClient
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.ceph.remote_runner import RemoteRunner
from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from inventory import Cluster, load_inventory

IMPLEMENTATIONS = ("librados", "cli", "cli-over-ssh")


@pytest.fixture(scope="session")
def sandbox_cluster(sandbox: Sandbox) -> Cluster:
    """The sandbox as its own inventory describes it."""
    inventory = load_inventory(sandbox.layout().inventory_path)
    return inventory.cluster(sandbox.layout().name)


def connect(kind: str, cluster: Cluster) -> CephClient:
    """A client of the given implementation for an inventory cluster."""
    if kind == "cli":
        return CliClient.for_cluster(cluster, connect_timeout=10, command_timeout=30)
    if kind == "cli-over-ssh":
        # node0's sshd stands in for an admin host that has the CLI but not the bindings.
        runner = RemoteRunner(SshExecutor(connect_timeout=10), cluster.host("node0"))
        return CliClient.for_cluster(cluster, runner=runner, connect_timeout=10,
                                     command_timeout=30)
    return RadosClient.for_cluster(cluster, connect_timeout=10, command_timeout=30)


@pytest.fixture(params=IMPLEMENTATIONS)
def client(request: pytest.FixtureRequest, sandbox_cluster: Cluster) -> Iterator[CephClient]:
    """Each client implementation in turn, connected to the sandbox."""
    ceph = connect(request.param, sandbox_cluster)
    try:
        yield ceph
    finally:
        ceph.close()
