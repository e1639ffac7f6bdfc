"""The pure DAG model: validation, waves and compilation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyrygent.dag import Dag, NodeSpec, evaluate, list_ref, node_ref, waves
from dyrygent.errors import (
    CycleError,
    DuplicateNodeError,
    DyrygentError,
    InvalidIdError,
    UnknownDependencyError,
)


@st.composite
def dags(draw: st.DrawFn) -> list[NodeSpec]:
    """Random DAGs: each node depends on some earlier nodes, then the order is shuffled."""
    n = draw(st.integers(min_value=1, max_value=40))
    specs = []
    for i in range(n):
        deps = draw(st.lists(st.integers(0, i - 1), max_size=4, unique=True)) if i else []
        specs.append(NodeSpec(id=f"n{i}", task="t", dependencies=tuple(f"n{d}" for d in deps)))
    return draw(st.permutations(specs))


@given(dags())
def test_waves_put_every_node_after_all_its_dependencies(specs: list[NodeSpec]) -> None:
    position = {node: i for i, wave in enumerate(waves(specs)) for node in wave}
    for spec in specs:
        for dep in spec.dependencies:
            assert position[dep] < position[spec.id]


@given(dags())
def test_waves_hold_every_node_exactly_once(specs: list[NodeSpec]) -> None:
    flat = [node for wave in waves(specs) for node in wave]
    assert sorted(flat) == sorted(s.id for s in specs)


@given(dags())
def test_each_node_sits_in_the_earliest_wave_its_dependencies_allow(specs: list[NodeSpec]) -> None:
    position = {node: i for i, wave in enumerate(waves(specs)) for node in wave}
    for spec in specs:
        expected = max((position[d] + 1 for d in spec.dependencies), default=0)
        assert position[spec.id] == expected


@given(dags(), st.data())
def test_a_back_edge_is_reported_as_a_cycle(specs: list[NodeSpec], data: st.DataObject) -> None:
    with_deps = [s for s in specs if s.dependencies]
    if not with_deps:
        return
    child = data.draw(st.sampled_from(with_deps))
    parent = child.dependencies[0]
    changed = [NodeSpec(id=s.id, task="t", dependencies=(*s.dependencies, child.id))
               if s.id == parent else s for s in specs]
    with pytest.raises(CycleError, match="cycle"):
        waves(changed)


@given(dags())
def test_compiled_children_mirror_dependencies(specs: list[NodeSpec]) -> None:
    dag = Dag()
    for spec in specs:
        dag.add(spec)
    compiled = dag.compile()
    for node in compiled:
        for dep in node.deps:
            assert node.index in compiled[dep].children
        for child in node.children:
            assert node.index in compiled[child].deps


def test_cycle_error_names_the_nodes_of_the_cycle() -> None:
    specs = [NodeSpec("a", "t", dependencies=("c",)), NodeSpec("b", "t", dependencies=("a",)),
             NodeSpec("c", "t", dependencies=("b",)), NodeSpec("d", "t")]
    with pytest.raises(CycleError) as info:
        waves(specs)
    assert {"a", "b", "c"} <= set(str(info.value).split(": ", 1)[1].split(" -> "))


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(CycleError):
        waves([NodeSpec("a", "t", dependencies=("a",))])


def test_unknown_dependency_is_named() -> None:
    dag = Dag()
    dag.add(NodeSpec("a", "t", dependencies=("ghost",)))
    with pytest.raises(UnknownDependencyError, match="ghost"):
        dag.compile()


def test_result_reference_without_dependency_is_rejected() -> None:
    with pytest.raises(UnknownDependencyError, match="without depending"):
        waves([NodeSpec("a", "t"), NodeSpec("b", "t", arg=node_ref("a"))])


def test_duplicate_node_id_is_rejected() -> None:
    dag = Dag()
    dag.add(NodeSpec("a", "t"))
    with pytest.raises(DuplicateNodeError, match="'a'"):
        dag.add(NodeSpec("a", "t"))


@pytest.mark.parametrize("bad", ["", "has space", "a|b", "x" * 201])
def test_invalid_node_ids_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidIdError):
        Dag().add(NodeSpec(bad, "t"))


def test_every_error_derives_from_the_root() -> None:
    for exc in (CycleError, DuplicateNodeError, UnknownDependencyError, InvalidIdError):
        assert issubclass(exc, DyrygentError)


def test_result_expressions_build_nested_ordered_lists() -> None:
    expr = list_ref([node_ref("a"), list_ref([node_ref("b"), node_ref("c")])])
    assert evaluate(expr, {"a": 1, "b": 2, "c": 3}) == [1, [2, 3]]


def test_compile_stores_result_references_by_index() -> None:
    dag = Dag()
    dag.add(NodeSpec("a", "t"))
    dag.add(NodeSpec("b", "t", dependencies=("a",), arg=list_ref([node_ref("a")])))
    b = dag.compile()[1]
    assert b.definition()["arg"] == {"l": [{"n": 0}]}
    assert b.deps == (0,)


@given(dags(), st.data())
def test_compile_rejects_the_cycles_waves_rejects(specs: list[NodeSpec], data: st.DataObject
                                                  ) -> None:
    with_deps = [s for s in specs if s.dependencies]
    if with_deps:
        child = data.draw(st.sampled_from(with_deps))
        specs = [NodeSpec(id=s.id, task="t", dependencies=(*s.dependencies, child.id))
                 if s.id == child.dependencies[0] else s for s in specs]
    dag = Dag()
    for spec in specs:
        dag.add(spec)
    if with_deps:
        with pytest.raises(CycleError, match="cycle"):
            dag.compile()
    else:
        assert len(dag.compile()) == len(specs)


def test_compile_rejects_a_result_reference_without_dependency() -> None:
    dag = Dag()
    dag.add(NodeSpec("a", "t"))
    dag.add(NodeSpec("b", "t", dependencies=(), arg=node_ref("a")))
    with pytest.raises(UnknownDependencyError, match="without depending"):
        dag.compile()


def test_stored_definitions_leave_out_empty_fields() -> None:
    dag = Dag()
    dag.add(NodeSpec("a", "t"))
    dag.add(NodeSpec("b", "t", args=(1,), kwargs={"k": 2}, dependencies=("a",), timeout=5.0))
    a, b = dag.compile()
    assert a.definition() == {"id": "a", "task": "t"}
    assert b.definition() == {"id": "b", "task": "t", "args": [1], "kwargs": {"k": 2},
                              "deps": [0], "timeout": 5.0}
