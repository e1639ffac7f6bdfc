"""The sandbox's registry remembers where monitors, managers and MDS moved."""

from __future__ import annotations

from pathlib import Path

from cephmaint.sandbox.registry import Registry


def test_daemons_run_where_the_topology_put_them_until_one_is_added_or_removed(
        tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    assert registry.service_hosts("mon", ["a1", "b1", "c1"]) == ["a1", "b1", "c1"]
    registry.place_service("mon", "spare", running=True)
    registry.place_service("mon", "c1", running=False)
    assert registry.service_hosts("mon", ["a1", "b1", "c1"]) == ["a1", "b1", "spare"]
    assert registry.service_hosts("mgr", ["a1"]) == ["a1"]
