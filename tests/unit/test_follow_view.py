"""The one progress view: a workflow's state, its steps and their progress, on any output."""

from __future__ import annotations

import io

from rich.console import Console

from ceph_tasks.errors import LedgerUnavailable
from cephmaint.follow import Snapshot, Step, follow, progress_bar, show
from dyrygent.errors import StoreUnavailable
from dyrygent.handle import WorkflowStatus
from dyrygent.states import NodeState, WorkflowState

TITLES = {"drain": "drain node2 (osd.4, osd.5) in steps",
          "wait": "wait for HEALTH_OK and all PGs active+clean",
          "remove": "remove node2: out, stop, purge osd.4, osd.5"}


def snapshot(state: WorkflowState, *steps: NodeState,
             progress: dict[str, object] | None = None) -> Snapshot:
    counts = {s: sum(1 for x in steps if x == s) for s in NodeState}
    status = WorkflowStatus("replace.node2.1a2b3c4d", state, len(steps), counts)
    made = tuple(Step(sid, TITLES[sid], "cephmaint.x", st,
                      progress or {} if st == NodeState.RUNNING else {})
                 for sid, st in zip(TITLES, steps, strict=True))
    return Snapshot(status, made, ("09:00:00  workflow -> RUNNING",))


def plain() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=40, color_system=None, force_terminal=False), out


def test_the_bar_fills_with_the_finished_steps() -> None:
    assert progress_bar(0, 4, 8) == "[........] 0/4"
    assert progress_bar(2, 4, 8) == "[####....] 2/4"
    assert progress_bar(0, 0, 4) == "[....] 0/0"


def test_a_snapshot_shows_every_step_with_its_state_and_progress_unwrapped() -> None:
    console, out = plain()
    show(snapshot(WorkflowState.RUNNING, NodeState.SUCCESS, NodeState.RUNNING,
                  NodeState.PENDING, progress={"moving_pgs": 7, "t": 1.0}), console)
    text = out.getvalue()
    assert text.splitlines()[0] == ("workflow replace.node2.1a2b3c4d: RUNNING  "
                                    f"{progress_bar(1, 3)}")
    assert f"  [x] {TITLES['drain']}  (success)" in text
    assert f"  [>] {TITLES['wait']}  (running)\n        moving_pgs=7\n" in text
    assert f"  [ ] {TITLES['remove']}  (pending)" in text
    assert "recent events:\n  09:00:00  workflow -> RUNNING" in text


def test_following_into_a_file_tells_each_change_once_then_the_whole_view() -> None:
    seen = [snapshot(WorkflowState.RUNNING, NodeState.RUNNING, NodeState.PENDING,
                     NodeState.PENDING),
            snapshot(WorkflowState.RUNNING, NodeState.RUNNING, NodeState.PENDING,
                     NodeState.PENDING),
            snapshot(WorkflowState.RUNNING, NodeState.SUCCESS, NodeState.RUNNING,
                     NodeState.PENDING),
            snapshot(WorkflowState.SUCCESS, NodeState.SUCCESS, NodeState.SUCCESS,
                     NodeState.SUCCESS)]
    reads = iter(seen)
    looked: list[Snapshot] = []
    console, out = plain()
    last = follow(lambda: next(reads), console, interval=0, on_snapshot=looked.append,
                  sleep=lambda _: None)
    assert last is seen[-1] and looked == seen
    lines = out.getvalue().splitlines()
    told = [line for line in lines if line.startswith("[")]
    assert [line.split("  ", 1)[1] for line in told] == [
        f"running  {TITLES['drain']}", f"success  {TITLES['drain']}",
        f"running  {TITLES['wait']}", f"success  {TITLES['wait']}",
        f"success  {TITLES['remove']}"]
    assert "workflow replace.node2.1a2b3c4d: SUCCESS" in out.getvalue()


def test_following_gives_up_at_its_timeout_with_the_last_snapshot() -> None:
    running = snapshot(WorkflowState.RUNNING, NodeState.RUNNING, NodeState.PENDING,
                       NodeState.PENDING)
    console, _ = plain()
    last = follow(lambda: running, console, interval=0.01, timeout=0.05)
    assert last.status.state == WorkflowState.RUNNING


def test_on_a_terminal_the_view_is_drawn_in_place() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    reads = iter([snapshot(WorkflowState.RUNNING, NodeState.RUNNING, NodeState.PENDING,
                           NodeState.PENDING),
                  snapshot(WorkflowState.FAILURE, NodeState.FAILURE, NodeState.PENDING,
                           NodeState.PENDING)])
    last = follow(lambda: next(reads), console, interval=0, sleep=lambda _: None)
    assert last.status.state == WorkflowState.FAILURE
    text = out.getvalue()
    assert "(failure)" in text and "\x1b[" in text  # cursor moves of rich's Live
    assert not any(line.startswith("[") and "running" in line for line in text.splitlines())


def test_following_rides_out_a_redis_outage_trying_again_with_growing_pauses() -> None:
    done = snapshot(WorkflowState.SUCCESS, NodeState.SUCCESS, NodeState.SUCCESS,
                    NodeState.SUCCESS)
    answers: list[Snapshot | Exception] = [
        snapshot(WorkflowState.RUNNING, NodeState.RUNNING, NodeState.PENDING, NodeState.PENDING),
        StoreUnavailable("the workflow store cannot be reached: Connection refused"),
        LedgerUnavailable("cannot read the entries of replace.node2.1a2b3c4d"),
        done]

    def read() -> Snapshot:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    pauses: list[float] = []
    console, out = plain()
    assert follow(read, console, interval=2, sleep=pauses.append) is done
    assert pauses == [2, 2, 4]
    assert out.getvalue().count("cannot be read") == 2
    assert "trying again in 4 s" in out.getvalue().replace("\n", " ")
