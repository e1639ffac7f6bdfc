"""The technicians' queue and confirmation: where to go and which disks to pull, the
confirmation recorded as `cephmaint confirm` records it (ledger and audit trail), bad input
refused at once with nothing recorded, and the gate's rejection shown to the technician."""

from __future__ import annotations

import re

import pytest

from ceph_tasks.decisions.technician_gate import confirmation_key
from cephmaint.cli import main
from dyrygent.handle import WorkflowHandle
from tests.component.web.conftest import START, Site
from tests.component.web.fleet_lab import FleetLab

GATE = "confirm-node2"


@pytest.fixture
def swap(lab: FleetLab) -> WorkflowHandle:
    """A disk replacement of osd.5 (/dev/sdc of node2, bay 2) waiting for its new disk."""
    handle = lab.start(lab.disk_plan())
    lab.run_until(handle, GATE)
    lab.gate_looks(handle, GATE, reported={"/dev/sdc": None})
    return handle


def confirm(site: Site, reference: str, *serials: str, host: str = "node2") -> str:
    """Post the confirmation form as the browser sends it; the answer's status and text."""
    answer = site.client.post(f"/technicians/{reference}/confirm", data={
        "csrf": site.page_token(), "host": host, "serial": list(serials)})
    return f"{answer.status_code} {answer.headers.get('location', '')} {answer.text}"


def test_the_queue_says_where_to_go_which_disk_to_pull_and_for_how_long(
        lab: FleetLab, lab_site: Site, swap: WorkflowHandle) -> None:
    not_yet = lab.start(lab.replace_plan("node1", "node3"))
    lab_site.login("tim")
    page = lab_site.client.get("/technicians").text
    row = re.search(r"<tr>\s*<td>DC1</td>.*?</tr>", page, re.S)
    assert row is not None, page
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[0])).strip()
    assert cells.startswith("DC1 r1 R2 node2 replace the disk /dev/sdc (osd.5) in bay 2 "
                            "bay 2, serial S-node2-c /dev/sdc, 1.1 TB 2 h")
    assert "a technician&#39;s confirmation" in row[0]
    assert f'href="/technicians/{swap.id}"' in row[0]
    assert not_yet.id not in page  # its technicians are not asked yet
    assert page.count("<tr>") == 2  # the header and the one waiting step


def test_a_good_confirmation_is_recorded_under_the_technician_s_name_and_audited(
        lab: FleetLab, lab_site: Site, swap: WorkflowHandle) -> None:
    lab_site.login("tim")
    page = lab_site.client.get(f"/technicians/{swap.id}").text
    assert len(re.findall(r'<input id="serial-node2-\d+" name="serial"', page)) == 1
    said = confirm(lab_site, swap.id, " NEW-SDC-1 ")
    assert said.startswith(f"303 /technicians/{swap.id}"), said
    recorded = lab.ledger.recall(swap.id, confirmation_key("node2"))
    assert recorded == {"by": "tim", "at": "2027-01-15T08:00:00+00:00",
                        "serials": ["NEW-SDC-1"]}
    [entry] = [r for r in lab.trail(swap.id) if r.entry.action == "confirm"]
    assert (entry.entry.actor, dict(entry.entry.details), str(entry.outcome)) == (
        "tim", {"host": "node2", "serials": ["NEW-SDC-1"]}, "done")
    shown = lab_site.client.get(f"/technicians/{swap.id}").text
    assert "Recorded for node2: confirmation by tim" in shown


@pytest.mark.parametrize(("serials", "says"), [
    (("NEW SDC 1",), "a serial is one word of printable characters"),
    (("",), "waits for the serials of 1 new disk(s), one per disk put in; 0"),
    (("NEW-1", "NEW-2"), "waits for the serials of 1 new disk(s), one per disk put in; 2"),
])
def test_a_malformed_serial_or_the_wrong_count_is_refused_at_once_recording_nothing(
        lab: FleetLab, lab_site: Site, swap: WorkflowHandle, serials: tuple[str, ...],
        says: str) -> None:
    lab_site.login("tim")
    before = lab.trail(swap.id)
    said = confirm(lab_site, swap.id, *serials)
    assert said.startswith("400 "), said[:200]
    assert "Nothing was recorded" in said and says in said
    assert lab.ledger.recall(swap.id, confirmation_key("node2")) is None
    assert lab.ledger.recall(swap.id, confirmation_key(None)) is None
    assert lab.trail(swap.id) == before


def test_the_gate_s_rejection_is_shown_to_the_technician(
        lab: FleetLab, lab_site: Site, swap: WorkflowHandle) -> None:
    lab_site.login("tim")
    confirm(lab_site, swap.id, "TYPO-0001")
    # The host reports another serial in the bay: the gate turns the confirmation down.
    lab.gate_looks(swap, GATE, reported={"/dev/sdc": "NEW-SDC-1"})
    page = lab_site.client.get(f"/technicians/{swap.id}").text
    alert = re.search(r'<div class="rejection" role="alert">(.*?)</div>', page, re.S)
    assert alert is not None, page
    assert "the host reports no disk with serial TYPO-0001 on /dev/sdc" in alert[1]
    assert "confirmation by tim" in alert[1]
    # A new confirmation: the old rejection is no longer the news until the gate looks.
    confirm(lab_site, swap.id, "NEW-SDC-1")
    page = lab_site.client.get(f"/technicians/{swap.id}").text
    assert 'class="rejection"' not in page
    assert "Turned down before" in page and "with serial(s) NEW-SDC-1" in page


def test_a_maintenance_not_waiting_for_a_technician_takes_no_confirmation(
        lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("tim")
    assert "is not waiting for a technician now" in lab_site.client.get(
        f"/technicians/{handle.id}").text
    said = confirm(lab_site, handle.id)
    assert said.startswith("409 "), said[:200]
    assert "confirm-node2 is pending" in said
    assert lab.ledger.recall(handle.id, confirmation_key("node2")) is None
    assert [r for r in lab.trail(handle.id) if r.entry.action == "confirm"] == []


def test_a_confirmation_for_another_host_is_refused(lab: FleetLab, lab_site: Site,
                                                    swap: WorkflowHandle) -> None:
    lab_site.login("tim")
    said = confirm(lab_site, swap.id, "NEW-1", host="node1")
    assert said.startswith("409 ") and "has no technician step for host node1" in said
    assert lab.ledger.recall(swap.id, confirmation_key("node1")) is None


def test_an_operator_may_confirm_too_and_a_viewer_may_not(
        lab: FleetLab, lab_site: Site, swap: WorkflowHandle) -> None:
    lab_site.login("vera")
    assert lab_site.client.get("/technicians").status_code == 403
    assert lab_site.client.get(f"/technicians/{swap.id}").status_code == 403
    assert confirm(lab_site, swap.id, "NEW-1").startswith("403 ")
    assert lab.ledger.recall(swap.id, confirmation_key("node2")) is None
    lab_site.client.cookies.clear()
    lab_site.login("olga")
    assert confirm(lab_site, swap.id, "NEW-1").startswith("303 ")
    recorded = lab.ledger.recall(swap.id, confirmation_key("node2"))
    assert isinstance(recorded, dict) and recorded["by"] == "olga"


def test_the_header_links_the_queue_for_technicians_only(lab_site: Site) -> None:
    lab_site.login("tim")
    assert 'href="/technicians"' in lab_site.client.get("/").text
    lab_site.client.cookies.clear()
    lab_site.login("vera")
    assert 'href="/technicians"' not in lab_site.client.get("/").text


def test_the_waited_time_follows_the_clock(lab: FleetLab, lab_site: Site,
                                           swap: WorkflowHandle) -> None:
    lab_site.login("tim")
    lab_site.clock.now = START + 5 * 3600 + 60
    assert "<dd>7 h 1 min</dd>" in lab_site.client.get(f"/technicians/{swap.id}").text


def test_the_command_line_confirms_through_the_same_checks_and_record(
        lab: FleetLab, swap: WorkflowHandle, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = lab.maintenances.settings
    for name, value in {"CEPHMAINT_REDIS_URL": settings.redis_url,
                        "CEPHMAINT_BROKER_URL": settings.broker_url,
                        "CEPHMAINT_AUDIT_URL": settings.audit_url}.items():
        monkeypatch.setenv(name, value)
    words = ["confirm", swap.id, "--by", "tim", "--host", "node2"]
    assert main([*words, "--evidence", "serial=A", "--evidence", "serial=B"]) == 2
    assert "waits for the serials of 1 new disk(s)" in capsys.readouterr().err
    assert lab.ledger.recall(swap.id, confirmation_key("node2")) is None
    assert main([*words, "--evidence", "serial=NEW-SDC-1"]) == 0
    recorded = lab.ledger.recall(swap.id, confirmation_key("node2"))
    assert isinstance(recorded, dict)
    assert (recorded["by"], recorded["serials"]) == ("tim", ["NEW-SDC-1"])
    [entry] = [r for r in lab.trail(swap.id) if r.entry.action == "confirm"]
    assert (entry.entry.actor, dict(entry.entry.details)) == (
        "tim", {"host": "node2", "serials": ["NEW-SDC-1"]})
