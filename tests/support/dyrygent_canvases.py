"""Canvas generators and a reference interpreter of Celery's result passing, for dyrygent tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from celery import chain, chord, group
from celery.canvas import Signature, _chain, _chord
from hypothesis import strategies as st

# Shapes are trees of tuples: ("s",) / ("si",) leaves, ("chain", [...]), ("group", [...]),
# ("chord", [...header], body), nested at random. One shape is left out: a group placed
# directly in a group or a chord header (a group followed by a task is a chord too):
# Celery flattens it, in a chord header in reverse order; dyrygent flattens it in the
# declared order.

leaf = st.sampled_from([("s",), ("si",)])


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    members = st.lists(children, min_size=2, max_size=3)
    no_group = st.lists(children.filter(lambda c: c[0] != "group"), min_size=2, max_size=3)
    return st.one_of(members.map(lambda xs: ("chain", xs)),
                     no_group.map(lambda xs: ("group", xs)),
                     st.tuples(no_group, children).map(lambda hb: ("chord", hb[0], hb[1])))


shapes = st.recursive(leaf, _extend, max_leaves=8)


def build(shape: Any, task: Any, tags: Callable[[], str] | None = None) -> Any:
    """Turn a shape into a Celery canvas of `task` signatures, each with a unique tag."""
    if tags is None:
        counter = itertools.count()
        tags = lambda: f"x{next(counter)}"  # noqa: E731
    kind = shape[0]
    if kind == "s":
        return task.s(tag=tags())
    if kind == "si":
        return task.si(tag=tags())
    if kind == "chain":
        return chain(*[build(s, task, tags) for s in shape[1]])
    if kind == "group":
        return group(*[build(s, task, tags) for s in shape[1]])
    header = [build(s, task, tags) for s in shape[1]]
    return chord(header, build(shape[2], task, tags))


_NOTHING = object()


def reference(canvas: Any, incoming: Any = _NOTHING) -> Any:
    """What Celery returns for a canvas of `t` tasks (t returns [tag, list(args)])."""
    if isinstance(canvas, _chord):
        header = canvas.tasks.tasks if isinstance(canvas.tasks, group) else canvas.tasks
        return reference(canvas.body, [reference(h, incoming) for h in header])
    if isinstance(canvas, _chain):
        value = incoming
        for task in canvas.tasks:
            value = reference(task, value)
        return value
    if isinstance(canvas, group):
        out: list[Any] = []
        for task in canvas.tasks:
            value = reference(task, incoming)
            # Celery flattens a group nested directly in a group.
            if isinstance(task, group) and not isinstance(task, _chord):
                out.extend(value)
            else:
                out.append(value)
        return out
    assert isinstance(canvas, Signature)
    args = list(canvas.args)
    if incoming is not _NOTHING and not canvas.immutable:
        args.insert(0, incoming)
    return [canvas.kwargs.get("tag", ""), args]
