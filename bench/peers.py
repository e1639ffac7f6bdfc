"""How each engine builds, submits and reports a finished workflow (runs in the client)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import chain, chord
from celery._state import _set_task_join_will_block
from celery.canvas import Signature

from bench.shapes import Case, layered_dag
from bench.tasks import noop

ENGINES = ("canvas", "celery-dyrygent", "dyrygent")
FLOOR_ENGINE = "none"
PEER_TICK_SECONDS = 1  # as in the figures of DESIGN.md; the peer's default is 10-30 s


def canvas_of(case: Case) -> Signature:
    """The case as a Celery canvas; fresh signatures everywhere, the peer needs unique ids."""
    if case.kind == "chain":
        return chain(*[noop.si() for _ in range(case.size)])
    if case.kind == "chord":
        return chord([noop.si() for _ in range(case.size)], noop.si())
    if case.kind == "chords":
        header = case.width
        chords = [chord([noop.si() for _ in range(header)], noop.si()) for _ in range(case.size)]
        return chain(noop.si(), *chords, noop.si())
    raise ValueError(f"{case.kind} has no Celery canvas form")


def supports(engine: str, case: Case) -> bool:
    """Whether the engine can express the case at all (canvas cannot do an arbitrary DAG)."""
    if case.kind == "floor":
        return engine == FLOOR_ENGINE
    if engine == FLOOR_ENGINE:
        return False
    return not (engine == "canvas" and case.kind == "dag")


@dataclass
class Runner:
    """Build, submit and poll one engine's workflow."""

    build: Callable[[Case], Any]
    submit: Callable[[Any], Any]
    finished: Callable[[Any], bool]


def _floor_build(case: Case) -> list[Signature]:
    return [noop.si() for _ in range(case.size)]


def _floor_submit(sigs: list[Signature]) -> None:
    # A Redis-backend client subscribes to every task's result as it publishes it; nothing
    # waits on these results, so publish the way a worker does, without subscribing.
    _set_task_join_will_block(True)
    try:
        for sig in sigs:
            sig.apply_async()
    finally:
        _set_task_join_will_block(False)


def _canvas_submit(canvas: Signature) -> Any:
    return canvas.apply_async()


def _result_ready(result: Any) -> bool:
    return bool(result.ready())


def _peer_build(case: Case) -> Any:
    from celery_dyrygent.workflows import Workflow

    wf = Workflow()
    wf.set_retry_policy("random", PEER_TICK_SECONDS, PEER_TICK_SECONDS)
    if case.kind != "dag":
        wf.add_celery_canvas(canvas_of(case))
        return wf
    nodes: list[Any] = []
    for deps in layered_dag(case.size, case.width, case.seed):
        sig = noop.si()
        sig.freeze()  # the peer keys nodes by task id
        nodes.append(wf.add_signature(sig, [nodes[i] for i in deps]))
    return wf


def _ours_build(case: Case) -> Any:
    from dyrygent.workflows import Workflow

    wf = Workflow()
    if case.kind != "dag":
        wf.add_celery_canvas(canvas_of(case))
        return wf
    nodes: list[Any] = []
    for deps in layered_dag(case.size, case.width, case.seed):
        nodes.append(wf.add_signature(noop.si(), dependencies=[nodes[i] for i in deps]))
    return wf


def _apply(wf: Any) -> Any:
    return wf.apply_async()


def _ours_finished(handle: Any) -> bool:
    from dyrygent.errors import WorkflowTimeoutError

    try:
        handle.wait(0.05)
    except (WorkflowTimeoutError, TimeoutError):
        return False
    return True


def runner(engine: str) -> Runner:
    """The runner of one engine."""
    if engine == FLOOR_ENGINE:
        return Runner(_floor_build, _floor_submit, lambda _: True)
    if engine == "canvas":
        return Runner(canvas_of, _canvas_submit, _result_ready)
    if engine == "celery-dyrygent":
        return Runner(_peer_build, _apply, _result_ready)
    if engine == "dyrygent":
        return Runner(_ours_build, _apply, _ours_finished)
    raise ValueError(f"unknown engine {engine}")
