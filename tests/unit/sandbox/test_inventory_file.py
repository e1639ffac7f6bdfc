"""The inventory a sandbox writes: a spare named like real hardware passes every check."""

from __future__ import annotations

from pathlib import Path

from cephmaint.sandbox.inventory_file import sandbox_inventory
from cephmaint.sandbox.layout import Layout, make_layout
from cephmaint.sandbox.registry import Registry
from inventory import load_inventory, write_inventory


def layout(root: Path) -> Layout:
    """A layout of a sandbox at root, as `sandbox up` would make it."""
    return make_layout("t", root, "0123abcd-0000-0000-0000-000000000000", "127.150.7",
                       "redis://127.0.0.1:1/0", True, "/usr/bin/python3")


def test_the_dashed_spare_keeps_its_name_in_devices_hostctl_and_rack(tmp_path: Path) -> None:
    [cluster] = sandbox_inventory(layout(tmp_path), Registry(tmp_path)).clusters
    spare = cluster.host("spare-3.dc1")
    assert [d.path for d in spare.devices] == [
        "/dev/sandbox/spare-3.dc1-sdb", "/dev/sandbox/spare-3.dc1-sdc",
        "/dev/sandbox/spare-3.dc1-sdd"]
    assert spare.daemon_control.list_devices[-3:] == ("--host", "spare-3.dc1", "list-devices")
    assert [h.rack for h in cluster.hosts] == ["R0", "R1", "R2", "R3"]
    assert cluster.osds_on("spare-3.dc1") == ()


def test_the_written_inventory_loads_back_with_the_dashed_spare(tmp_path: Path) -> None:
    box = layout(tmp_path)
    inventory = sandbox_inventory(box, Registry(tmp_path))
    write_inventory(inventory, box.inventory_path)
    assert load_inventory(box.inventory_path) == inventory
