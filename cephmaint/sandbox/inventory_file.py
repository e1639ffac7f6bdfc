"""The inventory file a sandbox writes to describe itself."""

from __future__ import annotations

from typing import Any

import yaml

from cephmaint.sandbox.layout import Layout
from cephmaint.sandbox.registry import OsdRecord


def write_inventory(layout: Layout, osds: list[OsdRecord]) -> None:
    """Write inventory.yaml describing the sandbox's cluster and hosts."""
    text = yaml.safe_dump(sandbox_inventory(layout, osds), sort_keys=False)
    layout.inventory_path.write_text(text)


def sandbox_inventory(layout: Layout, osds: list[OsdRecord]) -> dict[str, Any]:
    """The sandbox as inventory data."""
    return {"clusters": [{"name": layout.name, "hosts": [h.name for h in layout.hosts],
                          "osds": [{"id": r.osd_id, "host": r.host} for r in osds]}]}
