"""The tests' wait for a healthy cluster trusts a streak of looks, never one clean look."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ceph_tasks.ceph.models import Status, parse_as
from tests.support.ceph import wait_healthy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


def status(state: str) -> Status:
    """A `status` answer captured from the sandbox in a state."""
    raw = json.loads((FIXTURES / state / "status.json").read_text())
    return parse_as(Status, raw, "status")


def reader(*states: str) -> tuple[Callable[[], Status], list[str]]:
    """A status reader giving these states in turn (then the last one), and its log."""
    read: list[str] = []

    def read_status() -> Status:
        read.append(states[min(len(read), len(states) - 1)])
        return status(read[-1])

    return read_status, read


def test_a_healthy_cluster_is_trusted_only_after_three_healthy_looks_in_a_row() -> None:
    read_status, read = reader("healthy", "draining", "healthy", "healthy", "healthy")
    wait_healthy(read_status, interval=0)
    assert read == ["healthy", "draining", "healthy", "healthy", "healthy"]


def test_a_cluster_that_stays_unhealthy_fails_naming_the_last_look() -> None:
    read_status, _ = reader("healthy", "osd_down")
    with pytest.raises(AssertionError, match=r"3 looks in a row; last look: OSD_DOWN"):
        wait_healthy(read_status, timeout=0.05, interval=0.01)
