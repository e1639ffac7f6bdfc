"""`osd dump` flags: cluster-wide and per CRUSH node, from answers captured on Pacific and Reef."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import OsdDump
from ceph_tasks.testing.fake_ceph import FakeCephClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
#: Each release's folder of captured states.
RELEASES = {"pacific": FIXTURES, "reef": FIXTURES / "reef"}


@pytest.mark.parametrize("release", RELEASES)
def test_flags_set_cluster_wide_and_on_a_host_are_read(release: str) -> None:
    dump = Ceph(FakeCephClient.from_fixtures(RELEASES[release] / "flags_set")).osd_dump()
    assert {"noscrub", "nodeep-scrub"} <= dump.flags
    assert "noout" not in dump.flags
    assert dump.host_flags("node1") == frozenset({"noout"})
    assert dump.host_flags("node2") == frozenset()


@pytest.mark.parametrize("release", RELEASES)
def test_a_fresh_cluster_has_none_of_the_maintenance_flags(release: str) -> None:
    dump = Ceph(FakeCephClient.from_fixtures(RELEASES[release] / "healthy")).osd_dump()
    assert dump.flags.isdisjoint({"noout", "norebalance", "nobackfill", "noscrub",
                                  "nodeep-scrub"})
    assert "sortbitwise" in dump.flags
    assert dump.crush_node_flags == {}


@pytest.mark.parametrize("release", RELEASES)
def test_releases_printing_only_the_flags_string_are_read_too(release: str) -> None:
    data = json.loads((RELEASES[release] / "flags_set" / "osd_dump.json").read_text())
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


def test_reef_s_pools_and_its_primaries_upmap_list_leave_the_flags_as_they_were() -> None:
    # Reef adds a pool's read_balance scores and pg_upmap_primaries (the read balancer's).
    data = json.loads((RELEASES["reef"] / "healthy" / "osd_dump.json").read_text())
    assert data["pg_upmap_primaries"] == [] and "read_balance" in data["pools"][0]
    dump = OsdDump.model_validate(data)
    assert dump.flags_of_pool("data") == frozenset({"hashpspool"}) and dump.upmaps == {}
