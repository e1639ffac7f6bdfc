"""A worker reads its inventory again when the file changes, and only then."""

from __future__ import annotations

import os
from pathlib import Path

from ceph_tasks.app import make_app
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.context import context_of, install_context
from tests.support.lab import INVENTORY


def test_an_edited_inventory_is_read_again_by_the_next_task(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    app = make_app(Settings(inventory_path=path), name="reload")
    first = context_of(app)
    assert context_of(app) is first
    assert [c.name for c in first.inventory.clusters] == ["lab"]

    path.write_text(INVENTORY.replace("name: lab", "name: lab2"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = context_of(app)
    assert second is not first
    assert [c.name for c in second.inventory.clusters] == ["lab2"]
    assert context_of(app) is second


def test_an_installed_context_stays_whatever_the_files_do(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    app = make_app(Settings(inventory_path=path), name="installed")
    mine = context_of(app)
    install_context(app, mine)
    path.write_text(INVENTORY.replace("name: lab", "name: lab2"))
    assert context_of(app) is mine
