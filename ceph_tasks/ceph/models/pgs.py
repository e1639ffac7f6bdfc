"""Placement-group counts by state, from `status` (pgmap) and `pg stat` (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from ceph_tasks.ceph.models.common import CephModel


class PgStateCount(CephModel):
    """How many PGs are in one combined state, e.g. "active+recovery_wait+degraded"."""

    state_name: str
    count: int

    @property
    def states(self) -> frozenset[str]:
        """The single states combined in state_name."""
        return frozenset(self.state_name.split("+"))


class PgCounts(CephModel):
    """PG states and object counts. Ceph omits the object counters when they are zero."""

    pgs_by_state: tuple[PgStateCount, ...] = ()
    num_pgs: int = 0
    degraded_objects: int = 0
    degraded_total: int = 0
    misplaced_objects: int = 0
    misplaced_total: int = 0
    unfound_objects: int = 0

    def count_in(self, *states: str) -> int:
        """PGs whose state includes any of states (e.g. "backfilling", "peering")."""
        wanted = set(states)
        return sum(entry.count for entry in self.pgs_by_state if entry.states & wanted)

    @property
    def active_clean(self) -> int:
        """PGs that are exactly active+clean."""
        return sum(e.count for e in self.pgs_by_state if e.states == {"active", "clean"})

    @property
    def all_active_clean(self) -> bool:
        """True when there are PGs and every one is active+clean."""
        return self.num_pgs > 0 and self.active_clean == self.num_pgs

    @property
    def backfilling(self) -> int:
        """PGs copying data by backfill, running or queued (what throttles cap)."""
        return self.count_in("backfilling", "backfill_wait")

    @property
    def recovering(self) -> int:
        """PGs copying data by log-based recovery, running or queued."""
        return self.count_in("recovering", "recovery_wait")

    @property
    def moving(self) -> int:
        """PGs moving data by either means; small PGs recover rather than backfill."""
        return self.count_in("backfilling", "backfill_wait", "recovering", "recovery_wait")


class PgMap(PgCounts):
    """The pgmap section of `status`."""

    num_pools: int = 0
    num_objects: int = 0


class PgStat(PgCounts):
    """The answer of `pg stat`, with pg_summary flattened into PgCounts."""

    pg_ready: bool = True

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "pg_summary" not in data:
            return data
        summary = dict(data["pg_summary"])
        by_state = summary.pop("num_pg_by_state", [])
        # `pg stat` spells the pair name/num where `status` says state_name/count.
        summary["pgs_by_state"] = [
            {"state_name": e.get("name"), "count": e.get("num")} if isinstance(e, dict) else e
            for e in by_state
        ]
        return {"pg_ready": data.get("pg_ready", True), **summary}
