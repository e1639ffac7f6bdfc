"""Whether a weight step must hold because OSDs are getting full (pure).

Before each step of a drain or a fill: an OSD past the backfillfull or the nearfull ratio
(the cluster's own, from `osd dump`), or a health check saying OSDs or pools are (near)
full, holds the step. Moving more data then would push full OSDs further, and backfill
into a backfillfull OSD stalls anyway. The hold ends by itself when the condition clears;
the caller fails the step once it has held longer than its limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from ceph_tasks.ceph.models import OsdDf, OsdDump
from ceph_tasks.decisions.capacity import percent

#: Health checks that hold a step: OSDs or pools near full, backfillfull or full.
FULLNESS_CHECKS = ("OSD_NEARFULL", "OSD_BACKFILLFULL", "POOL_NEAR_FULL", "OSD_FULL",
                   "POOL_FULL")
#: Of those, the ones the OSDs being drained may raise without holding their drain; a full
#: OSD (writes stopped) or a pool near its limit still holds.
OWN_DRAIN_CHECKS = ("OSD_NEARFULL", "OSD_BACKFILLFULL")


def fullness_hold(df: OsdDf, ratios: OsdDump, checks: Iterable[str],
                  draining: Iterable[int] = ()) -> str | None:
    """Why a weight step must hold now, or None when it may go on.

    The fullest OSD past a ratio is named with its use and the ratio it passed; a raised
    check names itself (a check can be up when no listed OSD is past a ratio, e.g. a
    pool's quota). The OSDs being drained do not hold their own drain: emptying a nearly
    full host is what an operator drains it for, and each step takes data off them.
    """
    limits = [(name, value) for name, value in (("backfillfull", ratios.backfillfull_ratio),
                                                ("nearfull", ratios.nearfull_ratio))
              if value is not None]
    leaving = frozenset(draining)
    fullest_first = sorted(df.nodes, key=lambda n: (-n.utilization, n.id))
    past = [(usage, name, ratio) for usage in fullest_first for name, ratio in limits
            if usage.utilization / 100 > ratio]
    for usage, name, ratio in past:
        if usage.id not in leaving:
            return (f"holding: osd.{usage.id} at {percent(usage.utilization / 100)} past "
                    f"{name} {percent(ratio)}")
    raised = set(checks) & set(FULLNESS_CHECKS)
    if past:
        # Every OSD past a ratio is being drained: the OSD checks are theirs.
        raised -= set(OWN_DRAIN_CHECKS)
    if raised:
        return f"holding: health shows {', '.join(sorted(raised))}"
    return None


def hold_expired(held_seconds: float, limit_seconds: float) -> bool:
    """True when a step has held at least its limit."""
    return held_seconds >= limit_seconds
