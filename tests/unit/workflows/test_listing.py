"""`cephmaint list`'s rows: a maintenance's state, step and what it waits for, read from its
plan, the engine's status and its steps' progress notes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ceph_tasks.names import Hold, TaskName
from dyrygent.handle import WorkflowStatus
from dyrygent.states import NodeState, WorkflowState
from workflows.listing import (
    AgeError,
    Held,
    Listed,
    Running,
    hold_of,
    parse_age,
    queued_row,
    select,
    started_row,
)

PLAN: dict[str, Any] = {
    "reference": "replace.node2.1a2b3c4d", "kind": "replace", "cluster": "ceph-prod-1",
    "hosts": ["node2", "node5"],
    "steps": [{"id": "drain-node2", "title": "Drain node2"},
              {"id": "remove-node2", "title": "Remove node2"},
              {"id": "swap", "title": "Technicians swap node2"}],
}
STARTED = 1_700_000_000.0


def status(state: WorkflowState, done: int = 1, failed: dict[str, Any] | None = None,
           reason: str = "") -> WorkflowStatus:
    return WorkflowStatus(PLAN["reference"], state, 3, {NodeState.SUCCESS: done},
                          failed or {}, reason=reason)


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("2w", 1209600)])
def test_an_age_reads_in_seconds(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["7", "d", "7 days", "-1d", "1.5h", ""])
def test_an_age_without_a_whole_number_and_a_unit_is_refused_naming_it(text: str) -> None:
    with pytest.raises(AgeError, match="is not an age"):
        parse_age(text)


def test_a_drain_moving_data_runs_and_says_how_much_backfill_is_left() -> None:
    drain = Running("Drain node2", {"weights": {"osd.3": 0.5}, "moving_pgs": 12,
                                    "max_moving_pgs": 16, "steps_left": 3})
    row = started_row(PLAN, status(WorkflowState.RUNNING), [drain], STARTED, "alice")
    assert (row.state, row.step) == (Listed.RUNNING, "Drain node2")
    assert row.detail == "backfill: 12 PGs moving (at most 16), 3 weight steps left"
    assert (row.done, row.total, row.since, row.by) == (1, 3, STARTED, "alice")
    assert (row.cluster, row.kind, row.hosts) == ("ceph-prod-1", "replace", ("node2", "node5"))


@pytest.mark.parametrize(("progress", "said"), [
    ({"status": "holding: SLOW_OPS on 3 OSDs; 12 PGs moving", "moving_pgs": 12},
     "holding: SLOW_OPS on 3 OSDs; 12 PGs moving"),
    ({"status": "waiting for window: opens Tue 22:00 UTC", "opens": "2026-12-08T22:00"},
     "waiting for window: opens Tue 22:00 UTC"),
    ({"waiting_for": "technicians: the swap of node2 (ticket DC-42)"},
     "technicians: the swap of node2 (ticket DC-42)"),
    ({"healthy": False, "reasons": ["PG_DEGRADED: 4 pgs degraded"]},
     "health: PG_DEGRADED: 4 pgs degraded"),
])
def test_a_step_held_by_something_outside_the_maintenance_makes_it_waiting(
        progress: dict[str, Any], said: str) -> None:
    row = started_row(PLAN, status(WorkflowState.RUNNING), [Running("Drain node2", progress)],
                      STARTED, "alice")
    assert (row.state, row.detail) == (Listed.WAITING, said)


def test_a_paused_maintenance_stays_paused_whatever_its_steps_wait_for() -> None:
    held = Running("Technicians swap node2", {"waiting_for": "technicians"})
    row = started_row(PLAN, status(WorkflowState.PAUSED), [held], STARTED, "alice")
    assert (row.state, row.detail) == (Listed.PAUSED, "technicians")


def test_a_failed_maintenance_names_the_step_that_failed_and_why() -> None:
    failed = {"remove-node2": {"type": "DeadlineExceeded", "message": "OSDs down: not done"}}
    row = started_row(PLAN, status(WorkflowState.FAILURE, failed=failed), [], STARTED, "bob")
    assert (row.state, row.step, row.detail) == (Listed.FAILED, "Remove node2",
                                                  "OSDs down: not done")


@pytest.mark.parametrize(("state", "listed"), [(WorkflowState.SUCCESS, Listed.DONE),
                                               (WorkflowState.CANCELLED, Listed.CANCELLED)])
def test_an_ended_maintenance_says_how_it_ended(state: WorkflowState, listed: Listed) -> None:
    row = started_row(PLAN, status(state, done=3, reason="cancelled by alice"), [], STARTED,
                      "alice")
    assert (row.state, row.step, row.detail, row.done) == (listed, "", "cancelled by alice", 3)


def test_a_queued_maintenance_says_its_place_and_why_the_first_waits() -> None:
    first = queued_row("ceph-prod-1", PLAN, 1, "waiting until the cluster is healthy",
                       STARTED, "carol")
    assert (first.state, first.detail, first.total) == (
        Listed.QUEUED, "position 1 in the queue: waiting until the cluster is healthy", 3)
    assert queued_row("ceph-prod-1", PLAN, 2, None, None, "").detail == \
        "position 2 in the queue"


def test_selection_keeps_the_states_asked_for_since_a_time_oldest_first_queued_last() -> None:
    def row(reference: str, state: WorkflowState, since: float) -> Any:
        return started_row({**PLAN, "reference": reference},
                           WorkflowStatus(reference, state, 3, {}), [], since, "alice")
    old = row("a", WorkflowState.SUCCESS, 100.0)
    done = row("b", WorkflowState.SUCCESS, 300.0)
    running = row("c", WorkflowState.RUNNING, 200.0)
    queued = queued_row("ceph-prod-1", {**PLAN, "reference": "d"}, 1, None, 50.0, "alice")
    everything = [done, queued, running, old]
    assert [r.reference for r in select(everything)] == ["a", "c", "b", "d"]
    assert [r.reference for r in select(everything, since=150.0)] == ["c", "b"]
    assert [r.reference for r in select(everything, [Listed.DONE, Listed.QUEUED])] == \
        ["a", "b", "d"]


def test_a_row_reads_as_json() -> None:
    row = queued_row("ceph-prod-1", PLAN, 1, None, STARTED, "alice")
    assert row.to_dict() == {
        "reference": PLAN["reference"], "cluster": "ceph-prod-1", "kind": "replace",
        "hosts": ["node2", "node5"], "state": "queued", "step": "",
        "detail": "position 1 in the queue", "since": STARTED, "by": "alice", "done": 0,
        "total": 3, "holds": [], "moved": None}


@pytest.mark.parametrize(("step", "held"), [
    (Running("Drain node2", {"status": "holding: SLOW_OPS", "hold": "client-impact"},
             TaskName.REWEIGHT, "node2"), Held(Hold.CLIENT_IMPACT, "node2")),
    (Running("Drain node2", {"status": "holding: osd.3 nearfull", "hold": "fullness"},
             TaskName.REWEIGHT, "node2"), Held(Hold.FULLNESS, "node2")),
    (Running("Swap node2", {"waiting_for": "a confirmation", "since": "2026-12-01T09:00:00+00:00"},
             TaskName.WAIT_FOR_TECHNICIAN, "node2"),
     Held(Hold.TECHNICIAN, "node2", datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp())),
    (Running("Drain node2", {"status": "waiting for window", "opens": "2026-12-08T22:00"},
             TaskName.REWEIGHT, "node2"), Held(Hold.WINDOW, "node2")),
    (Running("Wait healthy", {"healthy": False, "reasons": ["PG_DEGRADED"]},
             TaskName.WAIT_HEALTHY), Held(Hold.HEALTH, "")),
    (Running("node1 back", {"waiting_for": "node1 to answer"}, TaskName.WAIT_HOST_BACK,
             "node1"), Held(Hold.HOST, "node1")),
    (Running("Drain node2", {"moving_pgs": 12}, TaskName.REWEIGHT, "node2"), None),
])
def test_each_hold_is_told_by_its_kind_its_host_and_for_a_technician_since_when(
        step: Running, held: Held | None) -> None:
    assert hold_of(step) == held
    row = started_row(PLAN, status(WorkflowState.RUNNING), [step], STARTED, "alice",
                      {"objects": 40, "bytes": 163840})
    assert row.holds == (() if held is None else (held,))
    assert row.to_dict()["moved"] == {"objects": 40, "bytes": 163840}
