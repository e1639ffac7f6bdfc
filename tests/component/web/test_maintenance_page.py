"""The page of one maintenance: its state, steps (graph and list), events and audit trail,
read from a workflow started on the session's Redis, as `cephmaint status` reads it."""

from __future__ import annotations

import getpass
import re

from dyrygent.states import NodeState, WorkflowState
from tests.component.web.conftest import MakeSite, Site
from tests.component.web.fleet_lab import FleetLab
from workflows.listing import Listed, Row
from workflows.starter import REFUSED_KEY

CONTROL_FORM = re.compile(r'action="/maintenances/[^"]+/(pause|resume|cancel|retry|skip)"')


def test_the_page_lists_every_step_in_a_graph_and_a_list_and_the_audit_entries(
        lab: FleetLab, lab_site: Site) -> None:
    plan = lab.replace_plan()
    handle = lab.start(plan)
    lab_site.login("vera")
    answer = lab_site.client.get(f"/maintenances/{handle.id}")
    assert answer.status_code == 200, answer.text
    page = answer.text
    for step in plan.steps:
        assert f'id="step-{step.id}"' in page
        assert f'href="#step-{step.id}"' in page  # its box in the graph
        assert step.title.replace("'", "&#39;") in page
    assert page.count('class="edge"') == sum(len(s.after) for s in plan.steps)
    assert "<svg" in page and "<script>" not in page
    assert f"<dt>Cluster</dt><dd>{lab.cluster.name}</dd>" in page
    assert "<dt>Hosts</dt><dd>node2, node3</dd>" in page
    # The start, as its audit entry says it: who started which kind on which hosts.
    assert re.search(rf"<td>{re.escape(getpass.getuser())}</td>\s*<td>operator</td>\s*"
                     r"<td class=\"what\">start hosts=\[&#34;node2&#34;, &#34;node3&#34;\] "
                     r"kind=replace", page), page
    assert "workflow -&gt; RUNNING" in page  # the recent events, as status shows them


def test_the_steps_fragment_is_the_live_part_alone(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab.run_until(handle, "flags-on")
    lab_site.login("vera")
    answer = lab_site.client.get(f"/maintenances/{handle.id}/steps")
    assert answer.status_code == 200
    assert "<html" not in answer.text and "Audit trail" not in answer.text
    assert 'id="step-check-healthy"' in answer.text
    assert 'class="state state-success">success' in answer.text
    assert 'class="state state-running">running' in answer.text
    assert "2/22 steps" in answer.text


def test_the_page_loads_its_refresh_script_from_this_site_only(lab: FleetLab,
                                                               lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab_site.login("vera")
    page = lab_site.client.get(f"/maintenances/{handle.id}").text
    assert '<script src="/static/live.js" defer></script>' in page
    assert f'data-live="/maintenances/{handle.id}/steps"' in page
    script = lab_site.client.get("/static/live.js")
    assert script.status_code == 200 and "setInterval" in script.text


def test_an_unknown_or_malformed_reference_is_not_found(lab_site: Site) -> None:
    lab_site.login("vera")
    assert lab_site.client.get("/maintenances/replace.node7.0000aaaa").status_code == 404
    assert lab_site.client.get("/maintenances/replace.node7.0000aaaa/steps").status_code == 404
    assert lab_site.client.get("/maintenances/-bad%20ref").status_code == 404


def test_a_maintenance_queued_then_given_up_says_why(lab: FleetLab, lab_site: Site) -> None:
    lab.ledger.note("replace.node2.0000bbbb", REFUSED_KEY, "node2 is in maintenance X")
    lab_site.login("vera")
    answer = lab_site.client.get("/maintenances/replace.node2.0000bbbb")
    assert answer.status_code == 404
    assert "queued, then given up: node2 is in maintenance X" in answer.text


def test_someone_not_signed_in_is_sent_to_the_login_form(lab: FleetLab,
                                                         lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    answer = lab_site.client.get(f"/maintenances/{handle.id}")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_a_queued_maintenance_shows_its_place_and_its_steps_none_begun(
        lab: FleetLab, lab_site: Site) -> None:
    lab.start(lab.replace_plan())
    queued = lab.disk_plan()
    lab.enqueue(queued)
    lab_site.login("vera")
    page = lab_site.client.get(f"/maintenances/{queued.reference}").text
    assert 'class="state state-queued">queued' in page
    assert "position 1 in the queue" in page
    assert page.count('class="state state-pending">pending') == len(queued.steps)


def test_the_fleet_page_links_each_row_to_its_page(make_site: MakeSite) -> None:
    row = Row(reference="replace.node2.1a2b3c4d", cluster="lab", kind="replace",
              hosts=("node2",), state=Listed.RUNNING, step="", detail="", since=None,
              by="olga", done=0, total=9)
    site = make_site(fleet=lambda: [row])
    site.login("vera")
    assert ('<a href="/maintenances/replace.node2.1a2b3c4d">replace.node2.1a2b3c4d</a>'
            in site.client.get("/").text)


def test_a_failed_step_shows_its_error(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab.run_until(handle, "check-domains")
    lab.fail(handle, "check-domains", RuntimeError("pool data would keep 1 host of 3 <b>"))
    assert handle.node("check-domains")["state"] == NodeState.FAILURE
    lab_site.login("vera")
    page = lab_site.client.get(f"/maintenances/{handle.id}").text
    assert "RuntimeError: pool data would keep 1 host of 3 &lt;b&gt;" in page
    assert 'class="state state-failed">failed' in page
    lab_site.client.cookies.clear()
    lab_site.login("olga")
    page = lab_site.client.get(f"/maintenances/{handle.id}").text
    # Retry or cancel it; or skip the failed step, or any not begun (all but the first).
    assert CONTROL_FORM.findall(page) == ["retry", "cancel"] + ["skip"] * 21
    assert 'name="step" value="check-domains"' in page
    assert 'name="step" value="check-healthy"' not in page


def test_an_operator_retries_a_failed_maintenance(lab: FleetLab, lab_site: Site) -> None:
    handle = lab.start(lab.replace_plan())
    lab.run_until(handle, "check-domains")
    lab.fail(handle, "check-domains", RuntimeError("a pool short of hosts"))
    assert handle.status().state == WorkflowState.FAILURE
    lab_site.login("olga")
    answer = lab_site.client.post(f"/maintenances/{handle.id}/retry",
                                  data={"csrf": lab_site.page_token(), "reason": "pool fixed"})
    assert answer.status_code == 303
    assert handle.status().state == WorkflowState.RUNNING
    [entry] = [r for r in lab.trail(handle.id) if r.entry.action == "retry"]
    assert (entry.entry.actor, entry.entry.details["why"], entry.after) == (
        "olga", "pool fixed", {"set up again": []})
    assert "retry done; now RUNNING" in lab_site.client.get(answer.headers["location"]).text
