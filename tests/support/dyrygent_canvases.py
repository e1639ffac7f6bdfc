"""Canvas generators and a reference interpreter of Celery's result passing, for dyrygent tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from celery import chain, chord, group
from celery.canvas import Signature, _chain, _chord
from hypothesis import strategies as st

# Shapes are trees of tuples: ("s",) / ("si",) leaves, ("chain", [...]), ("group", [...]),
# ("chord", [...header], body). Kept to what Celery itself runs reliably: groups and chord
# headers hold leaves or chains of leaves; chains hold leaves, groups and chords.

leaf = st.sampled_from([("s",), ("si",)])
simple_chain = st.lists(leaf, min_size=2, max_size=3).map(lambda xs: ("chain", xs))
member = st.one_of(leaf, simple_chain)
groups = st.lists(member, min_size=2, max_size=3).map(lambda xs: ("group", xs))
chords = st.tuples(st.lists(member, min_size=2, max_size=3), st.one_of(leaf, simple_chain)).map(
    lambda hb: ("chord", hb[0], hb[1]))
step = st.one_of(leaf, groups, chords)
chains = st.lists(step, min_size=2, max_size=4).map(lambda xs: ("chain", xs))
shapes = st.one_of(leaf, groups, chords, chains)


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
        return [reference(task, incoming) for task in canvas.tasks]
    assert isinstance(canvas, Signature)
    args = list(canvas.args)
    if incoming is not _NOTHING and not canvas.immutable:
        args.insert(0, incoming)
    return [canvas.kwargs.get("tag", ""), args]
