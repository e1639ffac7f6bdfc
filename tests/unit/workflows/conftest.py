"""The paper cluster of tests.support.lab, and its healthy state, for the builders."""

from __future__ import annotations

import pytest

from inventory import Cluster
from tests.support.lab import healthy_state, lab_cluster
from workflows.state import ClusterState


@pytest.fixture
def cluster() -> Cluster:
    """A cluster like the sandbox: node0-2 with two OSDs each, spare node3."""
    return lab_cluster()


@pytest.fixture
def healthy() -> ClusterState:
    """The state captured from a healthy sandbox."""
    return healthy_state()
