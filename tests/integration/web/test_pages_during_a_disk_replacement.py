"""The page, the metrics and the dashboards during a real disk replacement on a sandbox.

One scenario, in order: a viewer watches the replacement progress in Debian's chromium, an
operator pauses and resumes it from the page, a technician finds no controls and a forged
cancel is refused, then confirms the new disk on the technicians' page (a wrong serial
first, turned down by the gate in words the page shows). Meanwhile Debian's Prometheus
scrapes `cephmaint serve` and the worker; at the end every dashboard panel's query has
data, and /metrics reads right with Prometheus's own tools.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ceph_tasks.audit import Kind, Query
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import WorkflowBench, bench_on
from tests.support.browser import chromium, sign_in
from tests.support.poll import poll
from tests.support.prometheus import Prometheus, panel_queries, private_prometheus, promtool_check
from tests.support.serve import PASSWORD, TOKEN, Served, serving
from tests.support.services import free_port
from tests.support.workflows import wait_finished, wait_for_node
from workflows.plan import MaintenancePlan

pytestmark = pytest.mark.integration

NEW_SERIAL = "NEWDISK-0101"


@dataclass
class Stage:
    """The sandbox, the page, Prometheus and a browser, and the maintenance under way."""

    bench: WorkflowBench
    served: Served
    prometheus: Prometheus
    browser: WebDriver
    worker_metrics: str
    started: float = field(default_factory=time.time)
    plan: MaintenancePlan | None = None
    handle: WorkflowHandle | None = None

    @property
    def reference(self) -> str:
        """The replacement's reference."""
        assert self.plan is not None, "the replacement was not started"
        return self.plan.reference

    def page(self, path: str) -> None:
        """Open a page of the site."""
        self.browser.get(f"{self.served.url}{path}")

    def text(self, css: str) -> str:
        """The text of the first element matching css ('' when there is none)."""
        try:
            return str(self.browser.find_element(By.CSS_SELECTOR, css).text)
        except (NoSuchElementException, StaleElementReferenceException):
            return ""


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    root = Path(tmp_path_factory.mktemp("pages"))
    port = free_port()
    with bench_on(root, worker_env={"CEPHMAINT_METRICS_PORT": str(port)}) as bench, \
            serving(root / "serve", bench.env) as served, \
            private_prometheus(root / "prometheus", serve=served.address, token=TOKEN,
                               workers=[f"127.0.0.1:{port}"]) as prometheus, \
            chromium(root / "browser") as browser:
        yield Stage(bench, served, prometheus, browser, f"http://127.0.0.1:{port}/metrics")


def _done_steps(stage: Stage) -> int:
    found = re.search(r"(\d+)/\d+ steps", stage.text(".live dl.facts"))
    return int(found[1]) if found else -1


def test_a_viewer_watches_the_replacement_progress_without_reloading(stage: Stage) -> None:
    bench = stage.bench
    stage.plan = bench.plan("disk", "osd.5")
    stage.handle = bench.submit(stage.plan)
    sign_in(stage.browser, stage.served.url, "viewer", PASSWORD)
    stage.page("/")
    health = stage.text("table.clusters")
    assert re.search(rf"{re.escape(stage.bench.cluster.name)}\s+HEALTH_(OK|WARN|ERR)",
                     health), health
    stage.browser.find_element(By.CSS_SELECTOR,
                               f"a[href='/maintenances/{stage.reference}']").click()
    assert stage.reference in stage.browser.title
    first = _done_steps(stage)
    assert first >= 0, stage.browser.page_source
    # The live part refreshes itself: the count moves on with no reload from here.
    poll(lambda: _done_steps(stage) > first, timeout=180, interval=1,
         what=lambda _: f"the page's progress past {first} steps")
    assert not stage.browser.find_elements(By.CSS_SELECTOR, "section.controls")


def _click(stage: Stage, action: str, reason: str) -> None:
    form = stage.browser.find_element(
        By.CSS_SELECTOR, f"form[action='/maintenances/{stage.reference}/{action}']")
    # Typing keeps the live part from being replaced under the click.
    form.find_element(By.NAME, "reason").send_keys(reason)
    form.find_element(By.CSS_SELECTOR, "button").click()


def test_an_operator_pauses_and_resumes_it_from_the_page(stage: Stage) -> None:
    handle = stage.handle
    assert handle is not None
    sign_in(stage.browser, stage.served.url, "operator", PASSWORD)
    stage.page(f"/maintenances/{stage.reference}")
    _click(stage, "pause", "client peak at noon")
    poll(lambda: handle.status().state == WorkflowState.PAUSED, timeout=30, interval=0.5,
         what="the workflow paused")
    assert "pause" in stage.text(".flash").lower()
    _click(stage, "resume", "peak over")
    poll(lambda: handle.status().state == WorkflowState.RUNNING, timeout=30, interval=0.5,
         what="the workflow running again")
    audit = stage.text("section.audit")
    assert re.search(r"operator\s+operator\s+pause.*client peak at noon", audit), audit
    assert re.search(r"operator\s+operator\s+resume.*peak over", audit), audit


def test_a_technician_has_no_controls_and_a_forged_cancel_changes_nothing(
        stage: Stage) -> None:
    handle = stage.handle
    assert handle is not None
    sign_in(stage.browser, stage.served.url, "technician", PASSWORD)
    stage.page(f"/maintenances/{stage.reference}")
    assert not stage.browser.find_elements(By.CSS_SELECTOR, "section.controls")
    token = stage.browser.find_element(
        By.CSS_SELECTOR, "form[action='/logout'] input[name='csrf']").get_attribute("value")
    forged = requests.Session()
    for cookie in stage.browser.get_cookies():
        forged.cookies.set(cookie["name"], cookie["value"])
    answer = forged.post(f"{stage.served.url}/maintenances/{stage.reference}/cancel",
                         data={"csrf": token, "reason": "not mine to decide"}, timeout=10,
                         allow_redirects=False)
    assert answer.status_code == 403
    assert handle.status().state in (WorkflowState.RUNNING, WorkflowState.PAUSED)
    actions = [r.entry.action for r in stage.bench.audit().records(
        Query(reference=stage.reference, kinds=frozenset({Kind.OPERATOR})))]
    assert "cancel" not in actions and actions[-2:] == ["pause", "resume"]


def test_the_technician_confirms_the_new_disk_after_the_gate_turns_a_typo_down(
        stage: Stage) -> None:
    bench, handle, plan = stage.bench, stage.handle, stage.plan
    assert handle is not None and plan is not None
    gate = next(s.id for s in plan.steps if s.task == "cephmaint.wait_for_technician")
    wait_for_node(handle, gate, NodeState.RUNNING, timeout=300)
    device = bench.cluster.osd(5).device
    bench.hostctl("node2", "swap-disk", device, NEW_SERIAL)

    stage.page("/technicians")
    queue = stage.text("table.queue")
    assert "node2" in queue and stage.reference in queue, queue
    stage.browser.find_element(By.CSS_SELECTOR,
                               f"a[href='/technicians/{stage.reference}']").click()

    def confirm(serial: str) -> None:
        form = stage.browser.find_element(By.CSS_SELECTOR, "form.confirm")
        field = form.find_element(By.NAME, "serial")
        field.clear()
        field.send_keys(serial)
        form.find_element(By.CSS_SELECTOR, "button").click()

    confirm("TYPO-0001")
    # The click returns before the answer's page has replaced the form's.
    poll(lambda: "Recorded" in stage.text("section.wait") or None, timeout=15, interval=0.3,
         what=lambda _: f"the confirmation recorded on the page: {stage.text('main')}")

    def turned_down() -> str:
        stage.browser.refresh()
        return stage.text(".rejection")
    said = poll(turned_down, timeout=60, interval=1,
                what="the gate's refusal of the typo on the page")
    assert "TYPO-0001" in said, said
    assert handle.node(gate)["state"] == NodeState.RUNNING

    confirm(NEW_SERIAL)
    assert wait_finished(handle, timeout=400) == WorkflowState.SUCCESS
    assert bench.tree().host_of(5) == "node2" and bench.tree().node(5).up
    assert bench.sandbox.verify() == 400


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_metrics_read_right_and_every_dashboard_panel_has_data(stage: Stage) -> None:
    cluster, kind = stage.bench.cluster.name, "disk replacement"

    def scrape() -> requests.Response | None:
        # The guardian gives the cluster's lease back once it has put everything back.
        answer = requests.get(f"{stage.served.url}/metrics", timeout=10,
                              headers={"Authorization": f"Bearer {TOKEN}"})
        released = ("cephmaint_leases_held", (("cluster", cluster),))
        return answer if _samples(answer.text).get(released) == 0 else None
    fleet = poll(scrape, timeout=120, interval=1, what="the lease given back on /metrics")
    worker = requests.get(stage.worker_metrics, timeout=10)
    assert worker.status_code == 200
    assert promtool_check(fleet.text) == ""
    assert promtool_check(worker.text) == ""

    ours = _samples(fleet.text)
    assert ours[("cephmaint_fleet_up", ())] == 1
    states = {k: v for k, v in ours.items() if k[0] == "cephmaint_maintenances" and v}
    assert states == {("cephmaint_maintenances", (("cluster", cluster), ("kind", kind),
                                                   ("state", "done"))): 1}, fleet.text
    moved = ("cluster", cluster), ("kind", kind), ("reference", stage.reference)
    assert ours[("cephmaint_data_moved_objects", moved)] > 0
    assert ours[("cephmaint_data_moved_bytes", moved)] > 0
    assert ours[("cephmaint_workers_up", ())] >= 1
    steps = _samples(worker.text)
    assert steps[("cephmaint_steps_ended_total", (("outcome", "success"),
                                                  ("task", "reweight")))] >= 1
    assert steps[("cephmaint_step_duration_seconds_count",
                  (("task", "wait_for_technician"),))] == 1
    assert steps[("cephmaint_worker_steps_running", ())] == 0

    prometheus = stage.prometheus
    assert prometheus.targets_up() == {"cephmaint": "up", "cephmaint-workers": "up"}
    time.sleep(3)  # a few more scrapes after the end
    empty = [name for name, expr in panel_queries({"cluster": cluster, "reference": ".*"})
             .items() if not prometheus.query_range(expr, stage.started, time.time())]
    assert empty == []
