"""What the maintenance page says of a maintenance: its steps' times from the event log,
what each waits for, which may be skipped, and which controls its state takes."""

from __future__ import annotations

from typing import Any

from cephmaint.follow import Snapshot, Step
from cephmaint.web.overview import controls_for, started_overview, step_lines, step_times
from dyrygent.handle import WorkflowStatus
from dyrygent.states import NodeState, WorkflowState

REFERENCE = "disk.node2-osd5.1a2b3c4d"
PLAN: dict[str, Any] = {
    "reference": REFERENCE, "cluster": "lab", "kind": "disk replacement", "hosts": ["node2"],
    "steps": [{"id": "drain", "title": "drain osd.5", "task": "cephmaint.reweight",
               "after": [], "kwargs": {"host": "node2"}},
              {"id": "confirm-node2", "title": "wait for the technicians",
               "task": "cephmaint.wait_for_technician", "after": ["drain"],
               "kwargs": {"host": "node2"}},
              {"id": "add", "title": "add osd.5", "task": "cephmaint.add_node",
               "after": ["confirm-node2"], "kwargs": {"host": "node2"}}]}


def test_a_step_s_times_are_its_last_start_and_the_end_after_it() -> None:
    events = [{"t": 1.0, "e": "workflow", "state": "RUNNING"},
              {"t": 2.0, "e": "node", "node": "drain", "state": "RUNNING"},
              {"t": 5.0, "e": "node", "node": "drain", "state": "FAILURE"},
              {"t": 6.0, "e": "node", "node": "drain", "state": "READY"},
              {"t": 7.0, "e": "node", "node": "drain", "state": "DISPATCHED"},
              {"t": 8.0, "e": "node", "node": "drain", "state": "RUNNING"},
              {"t": 9.0, "e": "retry", "node": "drain", "reason": "again"},
              {"t": 10.0, "e": "node", "node": "add", "state": "SKIPPED"}]
    assert step_times(events) == {"drain": (8.0, None), "add": (None, 10.0)}
    events.append({"t": 12.0, "e": "node", "node": "drain", "state": "SUCCESS"})
    assert step_times(events)["drain"] == (8.0, 12.0)


def test_the_controls_fit_the_state() -> None:
    assert controls_for(None) == ("cancel",)
    assert controls_for(WorkflowState.RUNNING) == ("pause", "cancel")
    assert controls_for(WorkflowState.PAUSED) == ("resume", "cancel")
    assert controls_for(WorkflowState.FAILURE) == ("retry", "cancel")
    assert controls_for(WorkflowState.SUCCESS) == ()
    assert controls_for(WorkflowState.CANCELLED) == ()


def test_a_step_says_what_it_waits_for_its_error_and_whether_it_may_be_skipped() -> None:
    steps = [Step("drain", "drain osd.5", "cephmaint.reweight", NodeState.FAILURE),
             Step("confirm-node2", "wait", "cephmaint.wait_for_technician", NodeState.RUNNING,
                  {"waiting_for": "a technician's confirmation"}),
             Step("add", "add osd.5", "cephmaint.add_node", NodeState.PENDING)]
    lines = step_lines(steps, after={"add": ["confirm-node2"]}, times={},
                       failed={"drain": {"type": "TaskFailed", "message": "no PGs"}},
                       workflow=WorkflowState.FAILURE)
    drain, confirm, add = lines
    assert drain.error == "TaskFailed: no PGs" and drain.skippable
    assert (confirm.doing, confirm.waiting, confirm.skippable) == (
        "a technician's confirmation", True, False)
    assert add.skippable and add.after == ("confirm-node2",) and add.css == "pending"
    finished = step_lines(steps, after={}, times={}, failed={},
                          workflow=WorkflowState.CANCELLED)
    assert not any(line.skippable for line in finished)


def test_a_maintenance_waiting_for_a_technician_is_listed_as_waiting() -> None:
    counts = {s: 0 for s in NodeState} | {NodeState.SUCCESS: 1, NodeState.RUNNING: 1,
                                          NodeState.PENDING: 1}
    status = WorkflowStatus(REFERENCE, WorkflowState.RUNNING, 3, counts)
    snapshot = Snapshot(status, (
        Step("drain", "drain osd.5", "cephmaint.reweight", NodeState.SUCCESS),
        Step("confirm-node2", "wait for the technicians", "cephmaint.wait_for_technician",
             NodeState.RUNNING, {"waiting_for": "a technician's confirmation",
                                 "since": "2027-01-15T06:00:00+00:00"}),
        Step("add", "add osd.5", "cephmaint.add_node", NodeState.PENDING)),
        ("08:00:00  workflow -> RUNNING",))
    shown = started_overview(snapshot, PLAN, since=100.0, by="olga", moved=None, events=[],
                             after={"confirm-node2": ["drain"], "add": ["confirm-node2"]})
    assert (shown.row.state, shown.row.detail, shown.row.done, shown.row.total) == (
        "waiting", "a technician's confirmation", 1, 3)
    assert (shown.row.by, shown.row.since, shown.controls) == ("olga", 100.0,
                                                               ("pause", "cancel"))
    assert shown.events == ("08:00:00  workflow -> RUNNING",)
