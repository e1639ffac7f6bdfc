"""An operator's controls on the maintenance page: each changes the workflow as the command
line does, is written to the audit trail under the user's name with the reason, and says
what it did; a control the state refuses says why (409) and changes nothing; a technician
sees no control, and a forged one is refused (403) before anything is written."""

from __future__ import annotations

import re

import pytest

from dyrygent.states import NodeState, WorkflowState
from tests.component.web.conftest import Site
from tests.component.web.fleet_lab import FleetLab
from workflows.queueing import RedisQueue

CONTROL_FORM = re.compile(r'action="/maintenances/[^"]+/(pause|resume|cancel|retry|skip)"')


def test_an_operator_pauses_then_resumes_and_both_are_audited_with_name_and_reason(
        lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("olga")
    token = lab_site.page_token()
    page = f"/maintenances/{handle.id}"

    paused = lab_site.client.post(f"{page}/pause",
                                  data={"csrf": token, "reason": "rack power work"})
    assert (paused.status_code, paused.headers["location"]) == (303, page)
    assert handle.status().state == WorkflowState.PAUSED
    shown = lab_site.client.get(page).text
    assert f"{handle.id}: pause done; now PAUSED" in shown
    assert f'action="{page}/resume"' in shown and f'action="{page}/pause"' not in shown
    # The line is said once: a reload does not say it again.
    assert "pause done" not in lab_site.client.get(page).text

    resumed = lab_site.client.post(f"{page}/resume", data={"csrf": token, "reason": ""})
    assert resumed.status_code == 303
    assert handle.status().state == WorkflowState.RUNNING

    actions = [(r.entry.action, r.entry.actor, r.entry.details.get("why"), str(r.outcome))
               for r in lab.trail(handle.id) if r.entry.actor == "olga"]
    assert actions == [("pause", "olga", "rack power work", "done"),
                       ("resume", "olga", None, "done")]
    shown = lab_site.client.get(page).text
    assert "pause (why: rack power work)" in shown


def test_a_control_the_state_refuses_says_why_and_changes_nothing(
        lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("olga")
    answer = lab_site.client.post(f"/maintenances/{handle.id}/resume",
                                  data={"csrf": lab_site.page_token()})
    assert answer.status_code == 409
    assert "Resume refused" in answer.text and "is RUNNING" in answer.text
    assert 'role="alert"' in answer.text
    assert handle.status().state == WorkflowState.RUNNING
    answer = lab_site.client.post(f"/maintenances/{handle.id}/retry",
                                  data={"csrf": lab_site.page_token()})
    assert answer.status_code == 409
    assert "only a failed workflow can be retried" in answer.text
    assert handle.status().state == WorkflowState.RUNNING
    # Tried and refused, as the command line's controls are written down.
    assert [(r.entry.action, str(r.outcome)) for r in lab.trail(handle.id)
            if r.entry.actor == "olga"] == [("resume", "failed"), ("retry", "failed")]


def test_an_operator_skips_a_pending_step(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("olga")
    page = lab_site.client.get(f"/maintenances/{handle.id}").text
    assert 'name="step" value="deep-scrub-node3"' in page
    answer = lab_site.client.post(f"/maintenances/{handle.id}/skip", data={
        "csrf": lab_site.page_token(), "step": "deep-scrub-node3", "reason": "scrubbed by hand"})
    assert answer.status_code == 303
    assert handle.node("deep-scrub-node3")["state"] == NodeState.SKIPPED
    [skip] = [r for r in lab.trail(handle.id) if r.entry.action == "skip"]
    assert (skip.entry.actor, dict(skip.entry.details)) == (
        "olga", {"step": "deep-scrub-node3", "why": "scrubbed by hand"})
    assert lab_site.client.post(f"/maintenances/{handle.id}/skip", data={
        "csrf": lab_site.page_token()}).status_code == 400


def test_an_operator_cancels_a_running_maintenance(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("olga")
    answer = lab_site.client.post(f"/maintenances/{handle.id}/cancel",
                                  data={"csrf": lab_site.page_token(), "reason": "wrong host"})
    assert answer.status_code == 303
    assert handle.status().state == WorkflowState.CANCELLED
    assert [r.entry.action for r in lab.trail(handle.id) if r.entry.actor == "olga"] == [
        "cancel"]


def test_cancelling_a_queued_maintenance_takes_it_out_of_the_queue(
        lab: FleetLab, lab_site: Site) -> None:
    lab.start(lab.replace_plan())
    queued = lab.disk_plan()
    lab.enqueue(queued)
    lab_site.login("olga")
    page = lab_site.client.get(f"/maintenances/{queued.reference}").text
    assert CONTROL_FORM.findall(page) == ["cancel"]
    answer = lab_site.client.post(f"/maintenances/{queued.reference}/cancel",
                                  data={"csrf": lab_site.page_token()})
    assert answer.status_code == 303
    queue = RedisQueue.from_url(lab.maintenances.settings.redis_url)
    assert queue.position(queued.reference) is None
    [entry] = [r for r in lab.trail(queued.reference) if r.entry.actor == "olga"]
    assert (entry.entry.action, entry.entry.cluster) == ("cancel queued", lab.cluster.name)
    # Gone from the queue and never started: nothing is left to show.
    assert lab_site.client.get(answer.headers["location"]).status_code == 404


def test_a_technician_sees_no_control_and_a_forged_one_is_refused_writing_nothing(
        lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("tim")
    page = lab_site.client.get(f"/maintenances/{handle.id}").text
    assert "confirm-node2" in page
    assert CONTROL_FORM.findall(page) == []
    before = lab.trail(handle.id)
    token = lab_site.page_token()
    for action in ("pause", "cancel", "retry", "resume"):
        answer = lab_site.client.post(f"/maintenances/{handle.id}/{action}",
                                      data={"csrf": token, "reason": "forged"})
        assert answer.status_code == 403
        assert "This needs the operator role" in answer.text
    answer = lab_site.client.post(f"/maintenances/{handle.id}/skip",
                                  data={"csrf": token, "step": "deep-scrub-node3"})
    assert answer.status_code == 403
    assert handle.status().state == WorkflowState.RUNNING
    assert handle.node("deep-scrub-node3")["state"] == NodeState.PENDING
    assert lab.trail(handle.id) == before


def test_a_viewer_sees_no_control_either(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("vera")
    assert CONTROL_FORM.findall(lab_site.client.get(f"/maintenances/{handle.id}").text) == []


@pytest.mark.parametrize("action", ["pause", "skip"])
def test_a_control_without_the_form_s_token_is_refused(lab: FleetLab, lab_site: Site,
                                                       action: str) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("olga")
    answer = lab_site.client.post(f"/maintenances/{handle.id}/{action}",
                                  data={"step": "deep-scrub-node3"})
    assert answer.status_code == 403
    assert handle.status().state == WorkflowState.RUNNING
    assert [r for r in lab.trail(handle.id) if r.entry.actor == "olga"] == []


def test_a_control_of_an_unknown_maintenance_is_not_found(lab_site: Site) -> None:
    lab_site.login("olga")
    answer = lab_site.client.post("/maintenances/replace.node7.0000aaaa/pause",
                                  data={"csrf": lab_site.page_token()})
    assert answer.status_code == 404
