"""Whether a cluster is healthy enough for a maintenance to go on (pure).

Healthy means: every PG active+clean, no misplaced, degraded or unfound objects, and no
unmuted health check that blocks. A check does not block when the caller tolerates it (the
maintenance's own flags), the inventory allows its code, or it was present when the
maintenance started and is no worse now (a long-standing warning never clears by itself;
BLUESTORE_SLOW_OP_ALERT can flap for a day). Checks about data availability block always.
Tolerating a check never tolerates its PGs: degraded objects keep the cluster unhealthy
whatever the checks say. See
https://docs.ceph.com/en/pacific/rados/operations/health-checks/ for the codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ceph_tasks.ceph.models import HealthCheck, HealthStatus, PgCounts, Status

#: Health codes raised by the flags a maintenance sets itself: cluster-wide flags
#: (noout, noscrub, ...) raise OSDMAP_FLAGS, per-host flags (`osd set-group`) OSD_FLAGS,
#: a pool's noscrub or nodeep-scrub POOL_SCRUB_FLAGS.
FLAG_CODES: frozenset[str] = frozenset({"OSDMAP_FLAGS", "OSD_FLAGS", "POOL_SCRUB_FLAGS"})


#: Checks about whether data can be read and written: no baseline or allowlist excuses them.
AVAILABILITY_CODES: frozenset[str] = frozenset({
    "PG_AVAILABILITY", "PG_DEGRADED", "PG_DAMAGED", "OBJECT_UNFOUND", "PG_RECOVERY_FULL",
    "PG_BACKFILL_FULL", "OSD_FULL", "POOL_FULL", "OSD_DOWN", "OSD_HOST_DOWN", "OSD_CHASSIS_DOWN",
    "OSD_RACK_DOWN", "OSD_ROW_DOWN", "OSD_PDU_DOWN", "OSD_POD_DOWN", "OSD_ROOM_DOWN",
    "OSD_DATACENTER_DOWN", "OSD_REGION_DOWN", "OSD_ROOT_DOWN", "OSD_ORPHAN",
})
_SEVERITY = {HealthStatus.OK: 0, HealthStatus.WARN: 1, HealthStatus.ERR: 2}
#: Ledger key of the checks present when a maintenance started.
BASELINE_KEY = "health-baseline"


@dataclass(frozen=True)
class Baseline:
    """The unmuted checks present when a maintenance started: code -> (severity, count)."""

    checks: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, status: Status) -> Baseline:
        """The baseline of a cluster as this status shows it."""
        return cls({code: (check.severity.value, check.summary.count)
                    for code, check in status.health.unmuted_checks().items()})

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Baseline:
        """Read back what to_json wrote (None: nothing recorded, an empty baseline)."""
        return cls({code: (str(v[0]), int(v[1])) for code, v in (data or {}).items()})

    def to_json(self) -> dict[str, list[Any]]:
        """JSON-ready form for the ledger."""
        return {code: [severity, count] for code, (severity, count) in self.checks.items()}

    def covers(self, code: str, check: HealthCheck) -> bool:
        """Whether the check was there at the start and is no worse now."""
        if code not in self.checks:
            return False
        severity, count = self.checks[code]
        return (_SEVERITY[check.severity] <= _SEVERITY[HealthStatus(severity)]
                and check.summary.count <= count)


def check_verdict(code: str, check: HealthCheck, *, tolerated: Iterable[str] = (),
                  allowed: Iterable[str] = (), baseline: Baseline | None = None) -> str | None:
    """Why a raised check does not block (None: it blocks)."""
    if code in AVAILABILITY_CODES:
        return None
    if code in frozenset(tolerated):
        return "raised by the maintenance itself"
    if code in frozenset(allowed):
        return "allowed by the inventory"
    if baseline is not None and baseline.covers(code, check):
        return "present before the maintenance and no worse"
    return None


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


def assess(status: Status, tolerated: Iterable[str] = (), *, allowed: Iterable[str] = (),
           baseline: Baseline | None = None) -> HealthVerdict:
    """Judge a `status` answer: PGs and objects, and the checks that block (check_verdict)."""
    tolerate, allow = frozenset(tolerated), frozenset(allowed)
    pgs = status.pgmap
    blocking = {code: check.summary.message or check.severity.value
                for code, check in sorted(status.health.unmuted_checks().items())
                if check_verdict(code, check, tolerated=tolerate, allowed=allow,
                                 baseline=baseline) is None}
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
