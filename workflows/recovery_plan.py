"""What a plan says of the per-OSD recovery settings the throttles ask for (pure)."""

from __future__ import annotations

from inventory import Cluster
from workflows.state import ClusterState


def recovery_lines(cluster: Cluster, state: ClusterState) -> tuple[str, ...] | None:
    """Which mechanism applies to which OSDs; None when the throttles ask for nothing."""
    asked = cluster.throttles.recovery
    if asked is None:
        return None
    cap = (f"at most {cluster.throttles.max_backfilling_pgs} PGs moving at once "
           "(max_backfilling_pgs); per OSD, before data moves, put back at the end:")
    if state.recovery is None:
        limit = ("" if asked.backfills_per_osd is None
                 else f"backfills_per_osd {asked.backfills_per_osd}")
        pace = "" if asked.pace is None else f"pace {asked.pace}"
        return (cap, f"{', '.join(p for p in (limit, pace) if p)} (the OSDs' schedulers "
                     "not read: each OSD's is read when the step runs)")
    return (cap, *state.recovery.decide(asked).describe())
