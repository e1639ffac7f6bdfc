"""A sandbox with BlueStore on plain files, and one fast device holding a host's DBs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cephmaint.sandbox.cluster import connect
from cephmaint.sandbox.layout import db_path
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import load_topology

pytestmark = pytest.mark.integration

BLUESTORE = """\
object_size: 8KiB
store: bluestore
hosts:
  h1: {osds: 1, mon: true, mgr: true}
  h2: {osds: 1}
  h3: {osds: 2, db_shared: true}
pools:
  - {name: blue, size: 2, min_size: 1, failure_domain: host, pg_num: 8, objects: 40}
"""


@pytest.fixture(scope="module")
def blue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A BlueStore sandbox whose host h3 keeps both its OSDs' DBs on one fast device."""
    root = tmp_path_factory.mktemp("blue")
    (root / "blue.yaml").write_text(BLUESTORE)
    box = Sandbox(root / "sbx")
    try:
        box.up(timeout=180, topology=load_topology(root / "blue.yaml"))
        yield box
    finally:
        box.down()


@pytest.mark.full
def test_bluestore_osds_run_on_files_with_a_shared_db_device(blue: Sandbox) -> None:
    assert blue.status().health == "HEALTH_OK"
    assert blue.verify() == 40
    layout = blue.layout()
    h3 = layout.host("h3")
    with connect(layout) as mon:
        meta = {int(m["id"]): m for m in mon.command("osd metadata")}
        tree = mon.command("osd tree")
    on_h3 = next(n for n in tree["nodes"] if n["name"] == "h3")["children"]
    assert {meta[i]["osd_objectstore"] for i in meta} == {"bluestore"}
    assert {meta[i]["bluefs_dedicated_db"] for i in on_h3} == {"1"}
    assert {meta[i]["bluefs_dedicated_db"] for i in meta if i not in on_h3} == {"0"}
    assert sorted(p.name for p in db_path(layout, h3, 0).parent.iterdir()) == [
        f"osd.{i}.db" for i in sorted(on_h3)]
    assert all((layout.root / "disks" / f"osd.{i}.block").exists() for i in meta)
