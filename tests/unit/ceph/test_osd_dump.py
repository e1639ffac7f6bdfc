"""`osd dump` flags: cluster-wide and per CRUSH node, from captured answers."""

from __future__ import annotations

import json
from pathlib import Path

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import OsdDump
from ceph_tasks.testing.fake_ceph import FakeCephClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


def test_flags_set_cluster_wide_and_on_a_host_are_read() -> None:
    dump = Ceph(FakeCephClient.from_fixtures(FIXTURES / "flags_set")).osd_dump()
    assert {"noscrub", "nodeep-scrub"} <= dump.flags
    assert "noout" not in dump.flags
    assert dump.host_flags("node1") == frozenset({"noout"})
    assert dump.host_flags("node2") == frozenset()


def test_a_fresh_cluster_has_none_of_the_maintenance_flags() -> None:
    dump = Ceph(FakeCephClient.from_fixtures(FIXTURES / "healthy")).osd_dump()
    assert dump.flags.isdisjoint({"noout", "norebalance", "nobackfill", "noscrub",
                                  "nodeep-scrub"})
    assert "sortbitwise" in dump.flags
    assert dump.crush_node_flags == {}


def test_releases_printing_only_the_flags_string_are_read_too() -> None:
    data = json.loads((FIXTURES / "flags_set" / "osd_dump.json").read_text())
    del data["flags_set"]
    dump = OsdDump.model_validate(data)
    assert {"noscrub", "nodeep-scrub", "sortbitwise"} <= dump.flags


def test_each_pool_s_flags_are_read_from_the_dump_s_pools() -> None:
    data = json.loads((FIXTURES / "healthy" / "osd_dump.json").read_text())
    assert OsdDump.model_validate(data).flags_of_pool("data") == frozenset({"hashpspool"})
    data["pools"][1]["flags_names"] = "hashpspool,noscrub,nodeep-scrub"
    dump = OsdDump.model_validate(data)
    assert dump.flags_of_pool("data") == {"hashpspool", "noscrub", "nodeep-scrub"}
    assert dump.flags_of_pool("no-such-pool") == frozenset()
