"""Whether a cluster is healthy enough for a maintenance to go on (pure).

Healthy means: every PG active+clean, no misplaced, degraded or unfound objects, and no
unmuted health check other than the ones the caller tolerates (the maintenance's own
flags, say). Tolerating a check never tolerates its PGs: with PG_DEGRADED tolerated, degraded
objects still keep the cluster unhealthy. See
https://docs.ceph.com/en/pacific/rados/operations/health-checks/ for the codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ceph_tasks.ceph.models import PgCounts, Status

#: Health codes raised by the flags a maintenance sets itself: cluster-wide flags
#: (noout, noscrub, ...) raise OSDMAP_FLAGS, per-host flags (`osd set-group`) OSD_FLAGS.
FLAG_CODES: frozenset[str] = frozenset({"OSDMAP_FLAGS", "OSD_FLAGS"})


@dataclass(frozen=True)
class HealthVerdict:
    """The outcome of one look at the cluster: healthy or not, why not, and progress."""

    healthy: bool
    #: Why the cluster is not healthy yet, one line each; empty when healthy.
    reasons: tuple[str, ...]
    #: What a status reader shows while waiting: ratios, PGs by state, blocking checks.
    progress: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The reasons on one line (or "healthy")."""
        return "; ".join(self.reasons) if self.reasons else "healthy"

    def seen(self) -> str:
        """What was seen, for a timeout message: reasons, PGs by state, object ratios."""
        p = self.progress
        states = ", ".join(f"{n} {s}" for s, n in p.get("pgs_by_state", {}).items())
        return (f"{self.describe()}; PGs: {states or 'none'}; "
                f"misplaced {p.get('misplaced_ratio', 0.0):.2%}, "
                f"degraded {p.get('degraded_ratio', 0.0):.2%}")


def assess(status: Status, tolerated: Iterable[str] = ()) -> HealthVerdict:
    """Judge a `status` answer; health checks whose code is in tolerated are ignored."""
    tolerate = frozenset(tolerated)
    pgs = status.pgmap
    blocking = {code: check.summary.message or check.severity.value
                for code, check in sorted(status.health.unmuted_checks().items())
                if code not in tolerate}
    reasons = [f"{code}: {message}" for code, message in blocking.items()]
    reasons.extend(_pg_reasons(pgs))
    progress: dict[str, Any] = {
        "health": status.health.status.value,
        "osdmap_epoch": status.osdmap.epoch,
        "blocking_checks": blocking,
        "pgs_by_state": pgs_by_state(pgs),
        "num_pgs": pgs.num_pgs,
        "misplaced_ratio": _ratio(pgs.misplaced_objects, pgs.misplaced_total),
        "degraded_ratio": _ratio(pgs.degraded_objects, pgs.degraded_total),
        "unfound_objects": pgs.unfound_objects,
    }
    return HealthVerdict(healthy=not reasons, reasons=tuple(reasons), progress=progress)


def pgs_by_state(pgs: PgCounts) -> dict[str, int]:
    """PG counts by combined state, largest first."""
    ordered = sorted(pgs.pgs_by_state, key=lambda e: (-e.count, e.state_name))
    return {e.state_name: e.count for e in ordered}


def _pg_reasons(pgs: PgCounts) -> list[str]:
    reasons: list[str] = []
    if pgs.num_pgs == 0:
        # No PG statistics yet (the mgr has not reported): nothing is proven clean.
        reasons.append("no PG statistics reported yet")
    elif not pgs.all_active_clean:
        others = {s: n for s, n in pgs_by_state(pgs).items() if s != "active+clean"}
        listed = ", ".join(f"{n} {s}" for s, n in others.items()) or "state not reported"
        reasons.append(f"{pgs.num_pgs - pgs.active_clean} of {pgs.num_pgs} PGs not "
                       f"active+clean ({listed})")
    for what, objects, total in (("misplaced", pgs.misplaced_objects, pgs.misplaced_total),
                                 ("degraded", pgs.degraded_objects, pgs.degraded_total)):
        if objects > 0:
            reasons.append(f"{objects}/{total} objects {what} "
                           f"({_ratio(objects, total):.2%})")
    if pgs.unfound_objects > 0:
        reasons.append(f"{pgs.unfound_objects} objects unfound")
    return reasons


def _ratio(objects: int, total: int) -> float:
    return objects / total if total > 0 else 0.0


@dataclass(frozen=True)
class Streak:
    """Healthy looks in a row, all under the same osdmap epoch."""

    epoch: int
    count: int


def advance_streak(previous: Streak | None, verdict: HealthVerdict) -> Streak | None:
    """The streak after one more look: None when unhealthy, restarted on a new epoch.

    Right after a weight change, `status` can report every PG active+clean for a second or
    more before peering starts: one healthy look proves nothing. Several in a row, spaced
    by the poll interval, do; and a new osdmap epoch in between (a weight change, an OSD
    going down or up) means the earlier looks judged another map, so the count restarts.
    """
    if not verdict.healthy:
        return None
    epoch = int(verdict.progress["osdmap_epoch"])
    if previous is None or previous.epoch != epoch:
        return Streak(epoch=epoch, count=1)
    return Streak(epoch=epoch, count=previous.count + 1)
