"""Waiting for a Ceph cluster in tests: healthy on several looks in a row."""

from __future__ import annotations

from collections.abc import Callable

from ceph_tasks.ceph.models import Status
from ceph_tasks.decisions.health_gate import assess
from tests.support.poll import in_a_row, poll


def wait_healthy(read_status: Callable[[], Status], *, timeout: float = 180, looks: int = 3,
                 interval: float = 1.5) -> None:
    """Poll read_status until HEALTH_OK with every PG clean on `looks` looks in a row.

    Right after a weight change `status` can still show every PG clean before peering
    starts: one clean look is never enough.
    """
    seen = ["nothing yet"]

    def healthy() -> bool:
        status = read_status()
        verdict = assess(status)
        seen[0] = verdict.seen()
        return verdict.healthy and status.health.ok

    poll(in_a_row(looks, healthy), timeout=timeout, interval=interval,
         what=lambda _: f"a healthy cluster on {looks} looks in a row; last look: {seen[0]}")
