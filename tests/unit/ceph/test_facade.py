"""The typed layer turns any raw client's answers and refusals into models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.errors import (
    CephBadOutput,
    CephBusy,
    CephError,
    CephInvalidCommand,
    CephNotFound,
    CephTryAgain,
)
from ceph_tasks.testing.fake_ceph import FakeCephClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


@pytest.mark.parametrize("folder", [FIXTURES, FIXTURES / "reef"], ids=["pacific", "reef"])
def test_reads_go_through_the_raw_client_and_come_back_typed(folder: Path) -> None:
    fake = FakeCephClient.from_fixtures(folder / "osd_down")
    ceph = Ceph(fake)
    assert ceph.status().osdmap.num_down_osds == 1
    assert "OSD_DOWN" in ceph.health_detail().checks
    assert ceph.crush_layout() == {"node0": {0, 1}, "node1": {2, 3}, "node2": {4, 5}}
    assert ceph.pg_stat().degraded_objects > 0
    assert ceph.osd_df().pgs_on(frozenset({0})) >= 0
    assert [p.size for p in ceph.pool_ls_detail()] == [2, 2]
    assert ceph.crush_rule_dump()[0].failure_domain == "host"
    assert [c.prefix for c in fake.calls] == [
        "status", "health", "osd tree", "pg stat", "osd df", "osd pool ls",
        "osd crush rule dump"]
    assert fake.calls[1].args == {"detail": "detail"}


def test_ok_to_stop_sends_ids_as_strings_and_reads_a_yes() -> None:
    fake = FakeCephClient({"osd ok-to-stop": json.loads(
        (FIXTURES / "healthy" / "osd_ok_to_stop.json").read_text())})
    answer = Ceph(fake).ok_to_stop([4, 5])
    assert answer.ok_to_stop and answer.osds == (4, 5)
    assert fake.calls[0].args == {"ids": ["4", "5"]}


def test_ok_to_stop_refused_with_ebusy_reads_the_printed_json() -> None:
    printed = (FIXTURES / "osd_down" / "osd_ok_to_stop.json").read_text()
    fake = FakeCephClient({"osd ok-to-stop": CephBusy(
        "osd ok-to-stop", 16, "unsafe to stop osd(s) at this time", printed)})
    answer = Ceph(fake).ok_to_stop([2, 3])
    assert not answer.ok_to_stop and len(answer.bad_become_inactive) == 4
    assert answer.reason == "unsafe to stop osd(s) at this time"


def test_ok_to_stop_while_pgs_are_unknown_is_not_ok_with_the_reason() -> None:
    fake = FakeCephClient({"osd ok-to-stop": CephTryAgain(
        "osd ok-to-stop", 11, "1 PGs are unknown; try again later")})
    answer = Ceph(fake).ok_to_stop([1])
    assert not answer.ok_to_stop and answer.reason == "1 PGs are unknown; try again later"


def test_safe_to_destroy_refusal_without_output_is_not_safe() -> None:
    fake = FakeCephClient({"osd safe-to-destroy": CephTryAgain(
        "osd safe-to-destroy", 11, "pgs unknown")})
    answer = Ceph(fake).safe_to_destroy([1])
    assert not answer.all_safe([1]) and answer.reason == "pgs unknown"


def test_refusal_printing_something_other_than_json_is_bad_output() -> None:
    fake = FakeCephClient({"osd ok-to-stop": CephBusy("osd ok-to-stop", 16, "no", "garbage")})
    with pytest.raises(CephBadOutput, match="not JSON"):
        Ceph(fake).ok_to_stop([1])


def test_other_errors_pass_through_unchanged() -> None:
    fake = FakeCephClient({"osd ok-to-stop": CephNotFound("osd ok-to-stop", 2, "no osd.9")})
    with pytest.raises(CephNotFound):
        Ceph(fake).ok_to_stop([9])


def test_fake_refuses_commands_it_has_no_answer_for() -> None:
    with pytest.raises(CephInvalidCommand, match="not known to the fake"):
        Ceph(FakeCephClient()).status()


def test_the_pg_map_is_asked_for_in_brief_and_read_typed() -> None:
    fake = FakeCephClient({"pg dump": {"pg_ready": True, "pg_stats": [
        {"pgid": "2.0", "state": "active+clean", "up": [1, 4], "up_primary": 1,
         "acting": [1, 4], "acting_primary": 1}]}})
    pgs = Ceph(fake).pg_dump_brief()
    assert [pg.osds for pg in pgs.pg_stats] == [{1, 4}]
    assert fake.calls[0].args == {"dumpcontents": ["pgs_brief"]}


def test_the_binary_osdmap_needs_a_client_that_returns_raw_output() -> None:
    with pytest.raises(CephError, match="FakeCephClient cannot read the binary osdmap"):
        Ceph(FakeCephClient()).osdmap()


def test_pg_bytes_and_an_erasure_code_profile_come_back_typed() -> None:
    client = FakeCephClient({
        "pg dump": {"pg_ready": True, "pg_stats": [{"pgid": "3.1", "stat_sum": {
            "num_bytes": 4096}}]},
        "osd erasure-code-profile get": {"k": "4", "m": "2", "plugin": "jerasure"}})
    ceph = Ceph(client)
    assert ceph.pg_bytes().of("3.1") == 4096
    assert ceph.erasure_code_profile("ec42")["k"] == "4"
