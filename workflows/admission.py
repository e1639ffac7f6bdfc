"""Whether a planned maintenance may start now: the refusals `run` makes before writing (pure).

The cluster's state and the time are read by the caller and passed in. A refusal raises
StartRefused naming every reason; `run` makes it before anything is recorded or sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ceph_tasks.decisions.failed_osd import RECOVERY_CODES, recovery_problems
from ceph_tasks.decisions.health_gate import Baseline, check_verdict
from ceph_tasks.decisions.preconditions import start_problems
from ceph_tasks.decisions.windows import (
    WindowVerdict,
    describe_windows,
    window_verdict,
    windows_for,
)
from inventory import Cluster
from workflows.errors import StartRefused
from workflows.plan import MaintenancePlan
from workflows.state import ClusterState


def describe_window(plan: MaintenancePlan, cluster: Cluster, now: datetime) -> str:
    """One line for the plan: the windows that apply and whether they are open at now."""
    sets = windows_for(cluster, plan.hosts)
    if not sets:
        return "window: none set, data may move at any time"
    verdict = window_verdict(sets, now)
    state = "open now" if verdict.open else verdict.reason
    return f"window: {describe_windows(sets)}: {state}"


def describe_health(state: ClusterState, cluster: Cluster, failed: int = 0) -> list[str]:
    """The checks raised now, each with whether it would hold the maintenance back.

    failed: how many failed OSDs the maintenance replaces (their own checks do not block).
    """
    health = state.status.health
    if not health.checks:
        return [f"health: {health.status.value}, no checks raised"]
    # The failed OSDs' own checks that the start lets be (over their count, they block).
    repaired = RECOVERY_CODES - {p.split(":")[0] for p in recovery_problems(
        state.status, failed)} if failed else frozenset()
    baseline = Baseline.of(state.status)
    lines = []
    for code, check in sorted(health.checks.items()):
        said = f"health: {code} ({check.summary.message or check.severity.value})"
        if check.muted:
            lines.append(f"{said}: muted, does not block")
            continue
        if code in repaired:
            lines.append(f"{said}: does not block (the failed OSD's own, repaired here)")
            continue
        excuse = check_verdict(code, check, allowed=cluster.health_allowlist,
                               baseline=baseline)
        lines.append(f"{said}: " + (
            "blocks: data availability" if excuse is None
            else f"does not block ({excuse}; blocks if it gets worse)"
            if excuse.startswith("present") else f"does not block ({excuse})"))
    return lines


def check_start(plan: MaintenancePlan, cluster: Cluster, state: ClusterState, now: datetime,
                *, wait_for_window: bool = False,
                override: Mapping[str, Any] | None = None) -> WindowVerdict:
    """Refuse (StartRefused) unless the plan may start now; the windows' verdict otherwise.

    The cluster must be healthy; outside its windows a start is refused unless the
    operator asked to wait for the window (the steps then wait) or overrode it.
    """
    reasons = [f"the cluster is not healthy: {p}"
               for p in start_problems(state.status, cluster.health_allowlist,
                                      failed=len(plan.failed))]
    sets = windows_for(cluster, plan.hosts)
    verdict = window_verdict(sets, now, override)
    if not verdict.open and not wait_for_window:
        reasons.append(f"outside the maintenance windows ({describe_windows(sets)}), "
                       f"{verdict.reason}: run with --queue to wait for it, or --now --reason "
                       "TEXT to start anyway")
    if reasons:
        raise StartRefused(f"cluster {cluster.name}: {plan.kind} not started, nothing "
                           f"written: {'; '.join(reasons)}")
    return verdict
