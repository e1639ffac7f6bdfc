"""Failed OSDs (a dead disk, a dead host): whether an OSD is one, and what its failure may
raise at the start (pure).

A failed disk's OSD is down. Ceph recovers its PGs from the other copies once it is out:
the monitor marks it out by itself after mon_osd_down_out_interval (600 s by default), a
replacement marks it out at once. Its data is then never drained, only recovered, and
comes back once, onto the new disk. An OSD that is up and holds PGs has not failed: its
data is drained first, by a maintenance without --failed.
https://docs.ceph.com/en/pacific/rados/operations/add-or-rm-osds/#replacing-an-osd
"""

from __future__ import annotations

from collections.abc import Iterable

from ceph_tasks.ceph.models import OsdTree, PgDump, Status
from ceph_tasks.decisions.health_gate import Baseline, check_verdict

#: The ledger key prefix of a failed OSD a maintenance marked out. Not put back by the
#: restore: a dead disk's OSD stays out (the monitor would mark it out itself).
OUT_PREFIX = "failed-out"

#: What one failed OSD raises by itself: its down state (and its host's, when no other OSD
#: of the host is up, as on a dead host), at most one each per failed OSD, and the copies it
#: held, degraded until recovered. Inactive PGs, unfound or damaged objects still refuse.
RECOVERY_CODES = frozenset({"OSD_DOWN", "OSD_HOST_DOWN", "PG_DEGRADED"})


def out_key(osd_id: int) -> str:
    """The ledger key of a failed OSD marked out by the maintenance."""
    return f"{OUT_PREFIX}:{osd_id}"


def failed_osd_problem(tree: OsdTree, osd_id: int, pgs_held: int) -> str | None:
    """Why osd_id has not failed, its data to be recovered not drained (None: it has)."""
    node = tree.node(osd_id)
    if node is None:
        return f"osd.{osd_id} is not in the osdmap"
    if node.up and pgs_held:
        return (f"osd.{osd_id} is up and holds {pgs_held} PGs: it has not failed; "
                "leave out --failed (its data is drained first)")
    return None


def failed_osds_problems(tree: OsdTree, pgs: PgDump | None, osds: Iterable[int]
                         ) -> list[str]:
    """failed_osd_problem of each OSD, counting its PGs in pgs (none when not read)."""
    return [p for o in osds
            if (p := failed_osd_problem(tree, o, len(pgs.on_osd(o)) if pgs is not None else 0))]


def recovery_problems(status: Status, failed: int, allowed: frozenset[str] = frozenset()
                      ) -> tuple[str, ...]:
    """Why a maintenance of `failed` failed OSDs must not start, their own effects excused.

    Their being down (at most that many OSDs, or hosts, down) and their degraded copies are
    what the maintenance repairs; anything else is judged as for any start.
    """
    baseline = Baseline.of(status)
    reasons = []
    for code, check in sorted(status.health.unmuted_checks().items()):
        if code == "PG_DEGRADED":
            continue
        if code in RECOVERY_CODES and check.summary.count <= failed:
            continue
        if check_verdict(code, check, allowed=allowed, baseline=baseline) is None:
            reasons.append(f"{code}: {check.summary.message or check.severity.value}")
    pgs = status.pgmap
    inactive = pgs.num_pgs - pgs.count_in("active")
    if pgs.num_pgs == 0:
        reasons.append("no PG statistics reported yet")
    elif inactive > 0:
        reasons.append(f"{inactive} of {pgs.num_pgs} PGs not active")
    if pgs.unfound_objects > 0:
        reasons.append(f"{pgs.unfound_objects} objects unfound")
    return tuple(reasons)
