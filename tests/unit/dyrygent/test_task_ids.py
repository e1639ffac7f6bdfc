"""Task ids carry workflow, node and attempt, so events need no lookup."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyrygent.processor import TASK_ID_PREFIX, error_record, parse_task_id, task_id

# Any text at all, with the characters that separate the fields drawn often: the id is
# read from the right, so dashes, dots, colons and digits in the workflow id are no
# concern of the task id (Workflow validates ids on its own).
id_chars = st.one_of(st.sampled_from("-.:_0123456789"), st.characters())
wf_ids = st.text(id_chars, min_size=1, max_size=300)
numbers = st.integers(0, 10**12)
near_misses = st.text(id_chars, max_size=40).map(lambda tail: TASK_ID_PREFIX + tail)


@given(wf_ids, numbers, numbers)
def test_task_id_round_trips_for_any_workflow_id(wf: str, index: int, attempt: int) -> None:
    assert parse_task_id(task_id(wf, index, attempt)) == (wf, index, attempt)


def test_a_host_name_with_dashes_stays_in_the_workflow_id() -> None:
    tid = task_id("replace.ceph-osd-12.dc1.1a2b3c4d", 7, 2)
    assert tid == "dy-replace.ceph-osd-12.dc1.1a2b3c4d-7-2"
    assert parse_task_id(tid) == ("replace.ceph-osd-12.dc1.1a2b3c4d", 7, 2)


@given(st.one_of(near_misses, st.text(id_chars, max_size=40)))
def test_whatever_parses_was_written_by_task_id(value: str) -> None:
    parsed = parse_task_id(value)
    assert parsed is None or task_id(*parsed) == value


@given(st.text(max_size=80).filter(lambda v: not v.startswith(TASK_ID_PREFIX)))
def test_ids_without_the_prefix_are_not_ours(value: str) -> None:
    assert parse_task_id(value) is None


@given(st.uuids())
def test_celery_task_ids_are_not_ours(value: object) -> None:
    assert parse_task_id(str(value)) is None


@pytest.mark.parametrize("value", [
    None, "", "c0ffee-1234", "dy-", "dy--1-1", "dy-wf-x-1", "dy-wf-1", "dy-wf-1-x",
    "dy-wf-01-1", "dy-wf-1-01", "dy-wf-+1-1", "dy-wf-1--1", "dy-wf-\u00b2-1", "dy-wf-1-1\n",
    "dy-wf-1-1 ", "DY-wf-1-1",
])
def test_foreign_task_ids_are_not_ours(value: str | None) -> None:
    assert parse_task_id(value) is None


def test_error_record_is_bounded() -> None:
    record = error_record(ValueError("x" * 5000), "tb" * 5000)
    assert record["type"] == "ValueError"
    assert len(record["message"]) == 1000
    assert len(record["traceback"]) == 2000
