"""Convert Celery canvas (signature, chain, group, chord, any nesting) into DAG nodes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.canvas import Signature, _chain, _chord, chunks, group, xmap, xstarmap

from dyrygent.dag import Dag, NodeSpec, ResultExpr, list_ref, node_ref
from dyrygent.errors import UnsupportedCanvasError

# Options that keep their meaning when dyrygent sends the task itself; the others
# (link, chord, group_id, task_id, ...) are canvas plumbing that dyrygent replaces.
PASSED_OPTIONS = frozenset({
    "queue", "routing_key", "exchange", "priority", "time_limit", "soft_time_limit",
    "expires", "serializer", "headers", "retries",
})

IdFactory = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Fragment:
    """What a converted canvas part exposes to what follows it."""

    terminals: tuple[str, ...]  # nodes the next step must wait for
    result: ResultExpr | None  # what a following .s() receives


def add_canvas(dag: Dag, canvas: Any, new_id: IdFactory,
               dependencies: tuple[str, ...] = (), incoming: ResultExpr | None = None,
               ) -> Fragment:
    """Add a canvas to dag after dependencies; incoming is the result it receives."""
    if isinstance(canvas, xmap | xstarmap | chunks):
        raise UnsupportedCanvasError(f"unsupported canvas type: {type(canvas).__name__}")
    if isinstance(canvas, _chord):
        return _add_chord(dag, canvas, new_id, dependencies, incoming)
    if isinstance(canvas, _chain):
        return _add_chain(dag, list(canvas.tasks), new_id, dependencies, incoming)
    if isinstance(canvas, group):
        return _add_group(dag, _members(canvas.tasks), new_id, dependencies, incoming)
    if type(canvas) is Signature or (isinstance(canvas, Signature) and _is_plain(canvas)):
        return _add_signature(dag, canvas, new_id, dependencies, incoming)
    raise UnsupportedCanvasError(f"unsupported canvas type: {type(canvas).__name__}")


def signature_spec(sig: Signature, node_id: str, dependencies: tuple[str, ...],
                   arg: ResultExpr | None, timeout: float | None = None) -> NodeSpec:
    """NodeSpec for one plain signature."""
    # Plain dict access, and no copies of empty containers: this runs once per node of
    # a 10,000-node canvas, where Signature's attribute properties would dominate.
    raw_options = dict.get(sig, "options")
    options = {k: v for k, v in raw_options.items() if k in PASSED_OPTIONS} if raw_options else {}
    args = dict.get(sig, "args")
    kwargs = dict.get(sig, "kwargs")
    return NodeSpec(node_id, str(dict.get(sig, "task")), tuple(args) if args else (),
                    dict(kwargs) if kwargs else {}, options, dependencies, arg, timeout)


def _members(tasks: Any) -> list[Any]:
    """Members of a group header, whether Celery kept it as a group or a list."""
    if isinstance(tasks, group):
        return list(tasks.tasks)
    return list(tasks)


def _is_plain(sig: Signature) -> bool:
    """A Signature subclass that is still one task call (not a composite)."""
    return not isinstance(sig, _chain | group | _chord) and isinstance(sig.task, str)


def _add_signature(dag: Dag, sig: Signature, new_id: IdFactory, deps: tuple[str, ...],
                   incoming: ResultExpr | None) -> Fragment:
    node_id = new_id(str(dict.get(sig, "task")))
    arg = None if dict.get(sig, "immutable") else incoming
    dag.add(signature_spec(sig, node_id, deps, arg))
    return Fragment(terminals=(node_id,), result=node_ref(node_id))


def _add_chain(dag: Dag, tasks: list[Any], new_id: IdFactory, deps: tuple[str, ...],
               incoming: ResultExpr | None) -> Fragment:
    fragment = Fragment(terminals=deps, result=incoming)
    for task in tasks:
        fragment = add_canvas(dag, task, new_id, fragment.terminals, fragment.result)
    return fragment


def _add_group(dag: Dag, tasks: list[Any], new_id: IdFactory, deps: tuple[str, ...],
               incoming: ResultExpr | None) -> Fragment:
    # Every member starts from the same point; a follower waits for all of them and
    # receives their results in member order (Celery upgrades group|task to a chord).
    parts = [add_canvas(dag, task, new_id, deps, incoming) for task in tasks]
    if not parts:
        return Fragment(terminals=deps, result=list_ref([]))
    terminals = tuple(dict.fromkeys(t for part in parts for t in part.terminals))
    items: list[ResultExpr] = []
    for task, part in zip(tasks, parts, strict=True):
        result = part.result if part.result is not None else list_ref([])
        if isinstance(task, group) and not isinstance(task, _chord) and "l" in result:
            # Celery flattens a group nested directly in a group into one list.
            items.extend(result["l"])
        else:
            items.append(result)
    return Fragment(terminals=terminals, result=list_ref(items))


def _add_chord(dag: Dag, chord_: _chord, new_id: IdFactory, deps: tuple[str, ...],
               incoming: ResultExpr | None) -> Fragment:
    header = _add_group(dag, _members(chord_.tasks), new_id, deps, incoming)
    if chord_.body is None:
        return header
    return add_canvas(dag, chord_.body, new_id, header.terminals, header.result)
