"""Task ids carry workflow, node and attempt, so events need no lookup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dyrygent.processor import error_record, parse_task_id, task_id

wf_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.", min_size=1, max_size=64)


@given(wf_ids, st.integers(0, 10**6), st.integers(1, 10**4))
def test_task_id_round_trips(wf: str, index: int, attempt: int) -> None:
    assert parse_task_id(task_id(wf, index, attempt)) == (wf, index, attempt)


def test_foreign_task_ids_are_not_ours() -> None:
    for value in (None, "", "c0ffee-1234", "dy-wf-x-1", "dy-wf-1", "dy-a-b-1-2"):
        assert parse_task_id(value) is None


def test_error_record_is_bounded() -> None:
    record = error_record(ValueError("x" * 5000), "tb" * 5000)
    assert record["type"] == "ValueError"
    assert len(record["message"]) == 1000
    assert len(record["traceback"]) == 2000
