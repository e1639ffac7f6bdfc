"""The registry of started maintenances, on a real Redis: each cluster's own, in start order,
the first start kept when recover starts one again, a rolled-back start forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.services import private_redis
from workflows.errors import SubmitError
from workflows.registry import RedisRegistry, Started


def test_starts_are_kept_per_cluster_oldest_first_and_the_first_start_wins(
        tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis") as url:
        registry = RedisRegistry.from_url(url)
        registry.add("c1", Started("replace.node2.b", 200.0, "bob"))
        registry.add("c1", Started("decommission.node1.a", 100.0, "alice"))
        registry.add("c2", Started("disk.node7.c", 150.0, "carol"))
        # recover starts a lost maintenance again under its own reference.
        registry.add("c1", Started("decommission.node1.a", 300.0, "recover"))
        assert registry.started("c1") == [Started("decommission.node1.a", 100.0, "alice"),
                                          Started("replace.node2.b", 200.0, "bob")]
        assert registry.started("c1", since=150.0) == [Started("replace.node2.b", 200.0, "bob")]
        registry.remove("c1", ["decommission.node1.a", "never.started.d"])
        registry.remove("c1", [])
        assert [s.reference for s in registry.started("c1")] == ["replace.node2.b"]
        assert [s.reference for s in registry.started("c2")] == ["disk.node7.c"]
        assert registry.started("c3") == []


def test_an_unreachable_redis_is_named_with_the_cluster() -> None:
    registry = RedisRegistry.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(SubmitError, match="maintenances of cluster c1"):
        registry.started("c1")
