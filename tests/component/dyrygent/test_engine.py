"""The engine against the in-memory fake and real Redis: semantics, failures and control."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery, chain, chord, group

from dyrygent.errors import (
    InvalidTransitionError,
    StoreError,
    UnknownWorkflowError,
    WorkflowCancelledError,
    WorkflowDefinitionError,
    WorkflowFailedError,
)
from dyrygent.handle import WorkflowHandle
from dyrygent.processor import Send, parse_task_id
from dyrygent.states import NodeState, WorkflowState
from dyrygent.workflows import Workflow
from tests.component.dyrygent.conftest import Rig

app = Celery("component", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task, executed by the simulated worker."""
    return [tag, list(args)]


def submit(rig: Rig, wf: Workflow) -> WorkflowHandle:
    return wf.submit_to(rig.engine)


def failing(tags: set[str]) -> Any:
    def body(message: Send) -> Any:
        if message.kwargs.get("tag") in tags:
            raise ValueError(f"boom {message.kwargs['tag']}")
        return [message.kwargs.get("tag", ""), message.args]
    return body


def test_chain_of_chords_finishes_with_celery_result(rig: Rig) -> None:
    canvas = chain(t.si(tag="a"), chord([t.s(tag="b"), t.s(tag="c")], t.s(tag="d")), t.s(tag="e"))
    wf = Workflow()
    wf.add_celery_canvas(canvas)
    h = submit(rig, wf)
    rig.drain()
    a = ["a", []]
    assert h.wait(timeout=1) == ["e", [["d", [[["b", [a]], ["c", [a]]]]]]]
    assert h.status().counts[NodeState.SUCCESS] == 5


def test_only_ready_nodes_are_dispatched(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    submit(rig, wf)
    assert [m.kwargs["tag"] for m in rig.broker.queue] == ["a"]


def test_duplicate_events_never_dispatch_a_node_twice(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), group(t.si(tag="b"), t.si(tag="c"))))
    h = submit(rig, wf)
    first = rig.broker.queue.pop(0)
    for _ in range(3):  # re-delivered message, repeated signal
        rig.engine.on_received(first.task_id)
        rig.engine.on_success(first.task_id, ["a", []])
    assert sorted(m.kwargs["tag"] for m in rig.broker.sent) == ["a", "b", "c"]
    rig.drain()
    assert h.status().state == WorkflowState.SUCCESS
    assert len(rig.broker.sent) == 3


def test_repeated_tick_messages_do_one_tick(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    submit(rig, wf)
    assert rig.broker.ticks == [(wf.id, 0, 1.0)]
    rig.engine.tick(wf.id, 0)
    rig.engine.tick(wf.id, 0)
    assert rig.broker.ticks == [(wf.id, 0, 1.0), (wf.id, 1, 1.0)]


def test_tick_stops_when_workflow_finished(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    submit(rig, wf)
    rig.drain()
    rig.engine.tick(wf.id, 0)
    assert rig.broker.ticks == [(wf.id, 0, 1.0)]


def test_failure_stops_dispatch_lets_running_finish_and_records_error(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(group(t.si(tag="bad"), t.si(tag="ok")), t.si(tag="after")))
    h = submit(rig, wf)
    rig.step(failing({"bad"}))
    assert h.status().state == WorkflowState.RUNNING  # "ok" still runs
    rig.step()
    assert rig.broker.queue == []  # "after" was never dispatched
    status = h.status()
    assert status.state == WorkflowState.FAILURE
    (_node, error), = status.failed.items()
    assert error["type"] == "ValueError" and error["message"] == "boom bad"
    with pytest.raises(WorkflowFailedError, match="boom bad") as info:
        h.wait(timeout=1)
    assert info.value.failed == status.failed


def test_retry_reruns_failed_nodes_and_goes_on(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="flaky"), t.si(tag="after")))
    h = submit(rig, wf)
    rig.step(failing({"flaky"}))
    assert h.status().state == WorkflowState.FAILURE
    h.retry()
    retried = rig.broker.queue[0]
    assert parse_task_id(retried.task_id)[2] == 2  # type: ignore[index]
    rig.drain()
    assert h.wait(timeout=1) == ["after", []]


def test_skip_failed_node_lets_children_run_with_none(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="x"), t.s(tag="y")))
    h = submit(rig, wf)
    rig.step(failing({"x"}))
    first = wf.nodes[0].id
    h.skip(first)
    rig.drain()
    assert h.wait(timeout=1) == ["y", [None]]
    assert h.node(first)["state"] == NodeState.SKIPPED


def test_skip_refuses_running_nodes(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="x"))
    h = submit(rig, wf)
    with pytest.raises(InvalidTransitionError):
        h.skip(wf.nodes[0].id)


def test_pause_holds_dispatch_until_resume(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    h = submit(rig, wf)
    h.pause()
    rig.drain()
    assert h.status().state == WorkflowState.PAUSED
    assert rig.broker.queue == []
    h.resume()
    rig.drain()
    assert h.wait(timeout=1) == ["b", []]


def test_cancel_revokes_running_nodes(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(group(t.si(tag="a"), t.si(tag="b")), t.si(tag="c")))
    h = submit(rig, wf)
    running = [m.task_id for m in rig.broker.queue]
    h.cancel()
    assert sorted(rig.broker.revoked) == sorted(running)
    rig.drain()  # late successes change nothing
    status = h.status()
    assert status.state == WorkflowState.CANCELLED
    assert status.counts[NodeState.CANCELLED] == 3
    with pytest.raises(WorkflowCancelledError):
        h.wait(timeout=1)


def test_a_running_attempt_is_current_until_its_workflow_is_cancelled(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    h = submit(rig, wf)
    message = rig.broker.queue.pop(0)
    rig.engine.on_received(message.task_id)
    assert rig.engine.is_current(message.task_id)
    h.cancel()
    # The revoked body still runs to its end: it asks before changing anything more.
    assert not rig.engine.is_current(message.task_id)
    assert rig.engine.is_current("not-a-node-of-any-workflow")
    gone = message.task_id.replace(wf.id, "no-such-workflow")
    assert not rig.engine.is_current(gone)


def test_an_older_attempt_is_not_current_once_its_node_finished(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    submit(rig, wf)
    message = rig.step()
    assert not rig.engine.is_current(message.task_id)


def test_concurrency_limit_is_never_exceeded(rig: Rig) -> None:
    wf = Workflow(max_running=2)
    wf.add_celery_canvas(group(*[t.si(tag=str(i)) for i in range(7)]))
    h = submit(rig, wf)
    while rig.broker.queue:
        assert len(rig.broker.queue) <= 2
        assert h.status().counts[NodeState.DISPATCHED] <= 2
        rig.step()
    assert h.status().state == WorkflowState.SUCCESS


def test_wide_fan_out_is_dispatched_in_batches(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="root"), group(*[t.s(tag=str(i)) for i in range(10)])))
    h = submit(rig, wf)
    rig.step()
    assert len(rig.broker.queue) == 10  # batch size is 3: claimed in several steps
    rig.drain()
    assert len(h.wait(timeout=1)) == 10


def test_node_timeout_fails_the_node_and_revokes_it(rig: Rig) -> None:
    wf = Workflow(node_timeout=5)
    wf.add_celery_canvas(t.si(tag="stuck"))
    h = submit(rig, wf)
    message = rig.broker.queue.pop(0)
    rig.engine.on_received(message.task_id)
    rig.clock.advance(6)
    rig.engine.tick(wf.id, 0)
    assert rig.broker.revoked == [message.task_id]
    status = h.status()
    assert status.state == WorkflowState.FAILURE
    assert next(iter(status.failed.values()))["type"] == "NodeTimeoutError"


def test_task_retry_keeps_the_node_running(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="poll"), t.si(tag="next")))
    h = submit(rig, wf)
    message = rig.broker.queue.pop(0)
    for _ in range(3):  # self.retry(countdown=...) re-runs the same task id
        rig.engine.on_received(message.task_id)
        rig.engine.on_retry(message.task_id, "not healthy yet")
    assert h.node(wf.nodes[0].id)["state"] == NodeState.RUNNING
    rig.engine.on_success(message.task_id, "healthy")
    rig.drain()
    assert h.wait(timeout=1) == ["next", []]
    assert [e["e"] for e in h.events()].count("retry") == 3


def test_deadline_fails_the_workflow(rig: Rig) -> None:
    wf = Workflow(deadline=30)
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    h = submit(rig, wf)
    running = rig.broker.queue[0].task_id
    rig.clock.advance(31)
    rig.engine.tick(wf.id, 0)
    status = h.status()
    assert status.state == WorkflowState.FAILURE
    assert "deadline" in status.reason
    assert rig.broker.revoked == [running]


def test_claimed_but_unsent_nodes_are_sent_once_by_the_tick(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(group(t.si(tag="a"), t.si(tag="b")))
    rig.broker.fail_sends = True  # the dispatching process dies before publishing
    with pytest.raises(ConnectionError):
        submit(rig, wf)
    rig.broker.fail_sends = False
    rig.engine.tick(wf.id, 0)
    assert rig.broker.queue == []  # too early to tell a slow send from a lost one
    rig.clock.advance(11)
    rig.engine.tick(wf.id, 1)
    rig.engine.tick(wf.id, 2)
    assert sorted(m.kwargs["tag"] for m in rig.broker.queue) == ["a", "b"]
    h = WorkflowHandle(rig.engine, wf.id)
    rig.drain()
    assert h.status().state == WorkflowState.SUCCESS


def test_lost_success_event_is_recovered_from_the_backend(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.s(tag="b")))
    h = submit(rig, wf)
    message = rig.broker.queue.pop(0)
    rig.engine.on_received(message.task_id)  # then the worker's success signal is lost
    rig.broker.backend[message.task_id] = ("SUCCESS", "from-backend")
    rig.clock.advance(21)
    rig.engine.tick(wf.id, 0)
    rig.drain()
    assert h.wait(timeout=1) == ["b", ["from-backend"]]


def test_success_the_store_could_not_take_is_stashed_and_applied_by_the_tick(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.s(tag="b")))
    h = submit(rig, wf)
    message = rig.broker.queue.pop(0)
    rig.engine.on_received(message.task_id)

    def unreachable(*_: Any) -> None:
        raise StoreError("store down")

    with monkeypatch.context() as patch:
        patch.setattr(rig.store, "complete", unreachable)
        with pytest.raises(StoreError):
            rig.engine.on_success(message.task_id, "kept")
    assert rig.broker.backend[message.task_id] == ("SUCCESS", "kept")
    rig.clock.advance(21)
    rig.engine.tick(wf.id, 0)
    rig.drain()
    assert h.wait(timeout=1) == ["b", ["kept"]]


def test_stale_delivery_is_logged_not_started(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    h = submit(rig, wf)
    message = rig.step()
    rig.engine.on_received(message.task_id)
    assert h.events()[-1]["e"] == "skipped-stale"
    assert h.status().state == WorkflowState.SUCCESS


def test_hooks_see_node_and_workflow_states(rig: Rig) -> None:
    seen: list[tuple[str, ...]] = []
    rig.hooks.on_node_state(lambda wf, node, state: seen.append((node, str(state))))
    rig.hooks.on_workflow_state(lambda wf, state: seen.append(("wf", str(state))))
    rig.hooks.on_finish(lambda wf, state: seen.append(("finish", str(state))))
    wf = Workflow()
    wf.add_signature(t.si(), node_id="only")
    submit(rig, wf)
    rig.drain()
    assert seen == [("wf", "RUNNING"), ("only", "DISPATCHED"), ("only", "RUNNING"),
                    ("only", "SUCCESS"), ("wf", "SUCCESS"), ("finish", "SUCCESS")]


def test_a_failing_hook_does_not_break_the_workflow(rig: Rig) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("hook bug")
    rig.hooks.on_node_state(broken)
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    h = submit(rig, wf)
    rig.drain()
    assert h.status().state == WorkflowState.SUCCESS


def test_event_log_tells_the_story_with_node_ids(rig: Rig) -> None:
    wf = Workflow()
    wf.add_signature(t.si(), node_id="one")
    h = submit(rig, wf)
    rig.drain()
    story = [(e["e"], e.get("node"), e["state"]) for e in h.events()]
    assert story == [("workflow", None, "RUNNING"), ("node", "one", "DISPATCHED"),
                     ("node", "one", "RUNNING"), ("node", "one", "SUCCESS"),
                     ("workflow", None, "SUCCESS")]


def test_non_json_result_fails_the_node(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    h = submit(rig, wf)
    rig.step(lambda m: object())
    assert next(iter(h.status().failed.values()))["type"] == "TypeError"


def test_unknown_workflow_is_reported(rig: Rig) -> None:
    with pytest.raises(UnknownWorkflowError):
        WorkflowHandle(rig.engine, "nope").status()


def test_empty_workflow_is_refused(rig: Rig) -> None:
    with pytest.raises(WorkflowDefinitionError, match="no nodes"):
        submit(rig, Workflow())


def test_plan_of_stored_workflow_matches_client_plan(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(), group(t.si(), t.si()), t.si()))
    h = submit(rig, wf)
    assert h.plan() == wf.plan()


def test_lost_message_gets_a_new_attempt_and_the_old_one_is_skipped(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    h = submit(rig, wf)
    lost = rig.broker.queue.pop(0)  # the broker lost it: never started
    rig.clock.advance(21)
    rig.engine.tick(wf.id, 0)
    again = rig.broker.queue[0]
    assert parse_task_id(again.task_id)[2] == 2  # type: ignore[index]
    assert rig.engine.on_received(lost.task_id) is False  # a late copy never runs
    assert rig.engine.on_received(again.task_id) is True
    rig.drain()
    assert h.wait(timeout=1) == ["b", []]
    assert rig.engine.on_received(again.task_id) is False  # finished: re-delivery skipped
    assert [e["e"] for e in h.events()].count("skipped-stale") == 2


def test_started_nodes_are_not_redispatched(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="long"))
    submit(rig, wf)
    message = rig.broker.queue.pop(0)
    rig.engine.on_received(message.task_id)
    rig.clock.advance(100)
    rig.engine.tick(wf.id, 0)
    assert rig.broker.queue == []


def test_waiting_nodes_are_not_redispatched_while_the_queue_moves(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(group(t.si(tag="a"), t.si(tag="b"), t.si(tag="c")))
    submit(rig, wf)
    rig.clock.advance(15)
    rig.step()  # "a" starts and finishes: the queue moves
    rig.clock.advance(10)
    rig.engine.tick(wf.id, 0)
    assert len(rig.broker.sent) == 3
    rig.clock.advance(15)  # nothing moved for longer than lost_after
    rig.engine.tick(wf.id, 1)
    assert sorted(m.kwargs["tag"] for m in rig.broker.sent[3:]) == ["b", "c"]


def test_hundred_thousand_node_workflow_completes() -> None:
    from dyrygent.hooks import Hooks
    from dyrygent.memory_store import MemoryStore
    from dyrygent.processor import Engine, Settings
    from tests.component.dyrygent.conftest import FakeBroker, FakeClock

    wf = Workflow()
    join = wf.add_signature(t.si(tag="start"))
    for i in range(100):  # 100 fan-outs of 999 nodes, each closed by a join node
        wide = [wf.add_signature(t.si(tag=f"{i}.{j}"), dependencies=[join]) for j in range(999)]
        join = wf.add_signature(t.si(tag=f"join{i}"), dependencies=wide)
    assert len(wf.nodes) == 100_001
    store, broker, clock = MemoryStore(), FakeBroker(), FakeClock()
    engine = Engine(store, broker, Hooks(), clock=clock, settings=Settings())
    rig = Rig(engine, store, broker, clock, engine.hooks)
    h = wf.submit_to(engine)
    rig.drain()
    assert h.wait(timeout=1) == ["join99", []]
    assert len(broker.sent) == 100_001


def test_cli_controls_a_workflow_through_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from dyrygent.cli import main
    from tests.component.dyrygent.cli_app import app, processor

    wf = Workflow()
    wf.add_signature(app.signature("noop").set(immutable=True), node_id="first")
    wf.add_signature(app.signature("noop").set(immutable=True), node_id="later",
                     dependencies=["first"])
    wf.apply_async(processor)
    target = ["--app", "tests.component.dyrygent.cli_app:app"]
    assert main([*target, "pause", wf.id]) == 0
    assert main([*target, "status", wf.id]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "PAUSED"
    assert main([*target, "skip", wf.id, "later"]) == 0
    assert processor.handle(wf.id).node("later")["state"] == NodeState.SKIPPED
    assert main([*target, "skip", wf.id]) == 1
    assert "needs a node id" in capsys.readouterr().err


def test_wide_start_is_handed_to_a_worker_after_one_batch(rig: Rig) -> None:
    wf = Workflow()
    wf.add_celery_canvas(group(*[t.si(tag=str(i)) for i in range(7)]))
    h = submit(rig, wf)
    assert len(rig.broker.sent) == 3  # one batch from the caller
    assert rig.broker.kicks == [wf.id]
    rig.drain()
    assert len(h.wait(timeout=1)) == 7
    assert len(rig.broker.sent) == 7
