"""Gradual reweight: each step moves every OSD at most one step toward its target."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceph_tasks.decisions.weights import next_weights, reached, same_weight, steps_left


def test_a_drain_moves_each_osd_down_by_one_step() -> None:
    assert next_weights({4: 1.0, 5: 0.8}, {4: 0.0, 5: 0.0}, 0.25) == {4: 0.75, 5: 0.55}


def test_the_last_step_lands_exactly_on_the_target() -> None:
    assert next_weights({4: 0.1}, {4: 0.0}, 0.25) == {4: 0.0}
    assert next_weights({4: 0.9}, {4: 1.0}, 0.25) == {4: 1.0}


def test_osds_already_at_their_target_are_left_out() -> None:
    assert next_weights({4: 0.0, 5: 0.5}, {4: 0.0, 5: 0.0}, 0.25) == {5: 0.25}
    assert next_weights({4: 0.0}, {4: 0.0}, 0.25) == {}


def test_a_weight_read_back_from_crush_counts_as_the_one_set() -> None:
    # 0.3 becomes 19660/65536 = 0.29999 in CRUSH's fixed point.
    assert same_weight(19660 / 65536, 0.3)
    assert reached({4: 19660 / 65536}, {4: 0.3})
    assert next_weights({4: 19660 / 65536}, {4: 0.3}, 0.1) == {}


def test_no_step_moves_everything_at_once() -> None:
    assert next_weights({4: 1.0, 5: 0.3}, {4: 0.0, 5: 0.0}, None) == {4: 0.0, 5: 0.0}
    assert steps_left({4: 1.0}, {4: 0.0}, None) == 1


def test_an_osd_without_a_current_weight_is_an_error_naming_it() -> None:
    with pytest.raises(KeyError, match=r"\[7\]"):
        next_weights({4: 1.0}, {4: 0.0, 7: 0.0}, 0.5)


@pytest.mark.parametrize("step", [0, -0.5, float("nan"), float("inf")])
def test_a_step_that_is_not_a_positive_number_is_refused(step: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        next_weights({4: 1.0}, {4: 0.0}, step)


weights = st.floats(min_value=0, max_value=10, allow_nan=False).map(lambda w: round(w, 4))


@given(st.dictionaries(st.integers(0, 20), st.tuples(weights, weights), min_size=1),
       st.floats(min_value=0.01, max_value=2))
def test_stepping_reaches_the_target_in_exactly_steps_left_steps(
    pairs: dict[int, tuple[float, float]], step: float
) -> None:
    current = {osd: now for osd, (now, _) in pairs.items()}
    target = {osd: goal for osd, (_, goal) in pairs.items()}
    expected = steps_left(current, target, step)
    taken = 0
    while not reached(current, target):
        changes = next_weights(current, target, step)
        for osd, weight in changes.items():
            assert abs(weight - current[osd]) <= step + 1e-4
        current.update(changes)
        taken += 1
        assert taken <= expected
    assert taken == expected
