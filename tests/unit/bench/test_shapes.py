"""The benchmark's case definitions and random DAG."""

from __future__ import annotations

from bench.shapes import Case, cases, layered_dag


def test_node_counts_match_the_issue() -> None:
    by_name = {c.name: c for c in cases(huge=True)}
    assert by_name["chain"].nodes == 200
    assert by_name["chords-small"].nodes == 1_012
    assert by_name["chords"].nodes == 10_102
    assert by_name["dag"].nodes == 10_000
    assert by_name["floor"].nodes == 10_000
    assert by_name["huge"].nodes == 100_000


def test_quick_cases_have_the_same_names() -> None:
    assert [c.name for c in cases(quick=True)] == [c.name for c in cases()]


def test_layered_dag_is_seeded_and_points_backwards() -> None:
    deps = layered_dag(10, 20, seed=3)
    assert deps == layered_dag(10, 20, seed=3)
    assert deps != layered_dag(10, 20, seed=4)
    for index, parents in enumerate(deps):
        layer = index // 20
        if layer == 0:
            assert parents == []
            continue
        assert 1 <= len(parents) <= 3
        assert len(set(parents)) == len(parents)
        assert all(p < layer * 20 for p in parents)
        assert any(p >= (layer - 1) * 20 for p in parents)


def test_titles_read_well() -> None:
    assert Case("chords", "chords", 100, width=100).title == "chain of 100 chords x 100"
