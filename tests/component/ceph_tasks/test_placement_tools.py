"""osdmaptool and crushtool on an osdmap captured from a sandbox: where PGs go after a drain.

The map has three hosts of two OSDs and pools of size 2 over hosts (33 PGs).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ceph_tasks.ceph.placement import PlacementSimulator
from ceph_tasks.ceph.runner import LocalRunner
from ceph_tasks.errors import CephToolError

OSDMAP = (Path(__file__).resolve().parents[2] / "fixtures" / "ceph" / "osdmap"
          / "sandbox-epoch25.bin").read_bytes()
HOSTS = {0: "node0", 1: "node0", 2: "node1", 3: "node1", 4: "node2", 5: "node2"}


def test_draining_a_host_moves_its_pgs_to_the_other_hosts_one_copy_per_host() -> None:
    placed = PlacementSimulator().simulate(OSDMAP, {4: 0.0, 5: 0.0})
    assert len(placed.before.osds) == len(placed.after.osds) == 33
    assert any(placed.before.placed(pg) & {4, 5} for pg in placed.before.osds)
    for pg in placed.after.osds:
        osds = placed.after.placed(pg)
        assert len(osds) == 2 and not osds & {4, 5}
        assert len({HOSTS[o] for o in osds}) == 2


def test_a_pg_with_no_copy_on_the_drained_osds_host_stays_where_it_is() -> None:
    # The host's weight drops with its OSD's (--reweight-item adjusts the ancestors), so
    # straw2 moves only PGs off that host, none between the others.
    placed = PlacementSimulator().simulate(OSDMAP, {4: 0.0})
    assert not any(placed.after.placed(pg) & {4} for pg in placed.after.osds)
    kept = [pg for pg in placed.before.osds if not placed.before.placed(pg) & {4, 5}]
    assert kept and all(placed.after.osds[pg] == placed.before.osds[pg] for pg in kept)


def test_no_change_maps_every_pg_as_before() -> None:
    placed = PlacementSimulator().simulate(OSDMAP, {})
    assert placed.after == placed.before


class Failing(LocalRunner):
    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        return 1, "", "osdmaptool: error decoding osdmap\n"


def test_a_tool_failure_is_a_ceph_tool_error_naming_the_tool_and_its_message() -> None:
    with pytest.raises(CephToolError, match=r"osdmaptool .* failed: osdmaptool: error decoding"):
        PlacementSimulator(Failing()).simulate(b"not a map", {4: 0.0})


def test_a_missing_tool_is_a_ceph_tool_error() -> None:
    with pytest.raises(CephToolError, match=r"cannot run no-such-osdmaptool"):
        PlacementSimulator(osdmaptool="no-such-osdmaptool").simulate(OSDMAP, {4: 0.0})
