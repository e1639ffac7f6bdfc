"""`versions`, captured on Pacific and Reef sandboxes: the release each kind of daemon runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.ceph.models import Release, Versions, parse_as
from ceph_tasks.errors import CephBadOutput
from ceph_tasks.testing.fake_ceph import FakeCephClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
#: Each release's folder of captured states holding `versions` (Pacific's from a later run).
CAPTURED = {Release.PACIFIC: FIXTURES / "pacific", Release.REEF: FIXTURES / "reef"}
REEF_LINE = "ceph version 18.2.7 (6b0e988052ec84cf2d4a54ff9bbbc5e720b621ad) reef (stable)"


def captured(release: Release, state: str = "healthy") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CAPTURED[release] / state / "versions.json").read_text())
    return data


@pytest.mark.parametrize("release", list(CAPTURED))
def test_a_sandbox_runs_one_release_on_every_daemon(release: Release) -> None:
    versions = Ceph(FakeCephClient.from_fixtures(CAPTURED[release] / "healthy")).versions()
    assert versions.releases() == {"mon": {release}, "mgr": {release}, "osd": {release}}
    assert versions.lowest_osd_release is release and versions.lowest_release is release
    assert not versions.mixed
    assert [v.count for v in versions.kinds["osd"]] == [6]


def test_the_release_is_read_from_the_major_version() -> None:
    pacific = parse_as(Versions, captured(Release.PACIFIC), "versions").kinds["mon"][0]
    reef = parse_as(Versions, captured(Release.REEF), "versions").kinds["mon"][0]
    assert (pacific.version, pacific.release) == ("16.2.15", Release.PACIFIC)
    assert (reef.version, reef.release) == ("18.2.7", Release.REEF)
    assert Release.REEF.codename == "reef" and str(Release.SQUID) == "squid"
    assert Release.PACIFIC < Release.QUINCY < Release.REEF < Release.SQUID


def test_a_stopped_osd_is_not_counted() -> None:
    versions = parse_as(Versions, captured(Release.REEF, "osd_down"), "versions")
    assert [v.count for v in versions.kinds["osd"]] == [5]
    assert versions.lowest_osd_release is Release.REEF


def test_an_upgrade_half_done_reports_both_releases_and_the_oldest_osds() -> None:
    # Reef's monitors and managers with one OSD still on Pacific: the order Ceph upgrades in.
    data = captured(Release.REEF)
    pacific_line = next(iter(captured(Release.PACIFIC)["osd"]))
    data["osd"] = {REEF_LINE: 5, pacific_line: 1}
    versions = parse_as(Versions, data, "versions")
    assert versions.releases_of("osd") == {Release.PACIFIC, Release.REEF}
    assert versions.releases_of("mon") == {Release.REEF}
    assert versions.lowest_osd_release is Release.PACIFIC and versions.mixed


def test_a_cluster_with_no_osds_has_no_osd_release() -> None:
    data = captured(Release.REEF)
    del data["osd"]
    versions = parse_as(Versions, data, "versions")
    assert versions.lowest_osd_release is None and versions.lowest_release is Release.REEF
    assert versions.releases_of("mds") == frozenset()


def test_a_development_build_is_known_by_its_release_name() -> None:
    data = {"osd": {"ceph version Development (no_version) squid (dev)": 3}}
    assert parse_as(Versions, data, "versions").lowest_osd_release is Release.SQUID


@pytest.mark.parametrize("line", [
    "ceph version 99.0.0 (0000000000000000000000000000000000000000) zebra (dev)",
    "something else entirely",
])
def test_a_release_not_known_here_is_bad_output(line: str) -> None:
    with pytest.raises(CephBadOutput, match="versions"):
        parse_as(Versions, {"osd": {line: 1}}, "versions")


def test_a_kind_without_daemons_is_left_out_as_pacific_lists_it_and_reef_does_not() -> None:
    assert captured(Release.PACIFIC)["mds"] == {} and "mds" not in captured(Release.REEF)
    for release in CAPTURED:
        assert "mds" not in parse_as(Versions, captured(release), "versions").kinds
