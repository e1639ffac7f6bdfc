"""What builders know of a live cluster: read once, passed in, never read while building."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ceph_tasks.ceph.models import (
    CrushRule,
    OkToStop,
    OsdDf,
    OsdTree,
    PgDump,
    Pool,
    Status,
    Versions,
)
from ceph_tasks.ceph.models.service_daemons import Daemons
from ceph_tasks.decisions.capacity import CapacityProjection
from ceph_tasks.decisions.preconditions import removal_problems
from ceph_tasks.decisions.recovery_settings import RecoveryView
from ceph_tasks.decisions.upmaps import UpmapReadiness


@dataclass(frozen=True)
class ClusterState:
    """Status, CRUSH tree, usage, pools, rules and PG map of a cluster at one moment."""

    status: Status
    tree: OsdTree
    df: OsdDf
    pools: tuple[Pool, ...]
    rules: tuple[CrushRule, ...]
    #: Every PG and its OSDs; None when not read, and plans then say no PG count.
    pgs: PgDump | None = None
    #: Every OSD's fullness now and after the planned OSDs are drained (osdmaptool's
    #: placements); None when not projected, and plans then check no capacity.
    capacity: CapacityProjection | None = None
    #: Ceph's `osd ok-to-stop` for the OSDs a maintenance would stop (its host's, without a
    #: drain); None when not asked.
    ok_to_stop: OkToStop | None = None
    #: The monitors, managers and MDS daemons, with their hosts; None when not read.
    daemons: Daemons | None = None
    #: Whether upmap items may be used (the clients admitted and connected); None when not
    #: read, and a replace then moves data by drain and fill.
    upmap_readiness: UpmapReadiness | None = None
    #: Each up OSD's scheduler and the config database, read when the throttles ask for
    #: recovery settings; None otherwise.
    recovery: RecoveryView | None = None
    #: The releases the daemons run (`versions`); None when not read.
    versions: Versions | None = None

    def osds_of(self, host: str) -> tuple[int, ...]:
        """The OSD ids CRUSH places under a host (none if it has no bucket)."""
        return tuple(sorted(self.tree.hosts().get(host, frozenset())))

    def bytes_on(self, osds: tuple[int, ...]) -> int:
        """Bytes stored on these OSDs: the data a drain of them moves."""
        used = (self.df.osd(i) for i in osds)
        return sum(u.kb_used * 1024 for u in used if u is not None)


#: What a plan-time failure-domain check answers: the problems, none when safe.
DomainCheck = Callable[[ClusterState, tuple[str, ...]], list[str]]


def domain_problems(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    """Plan-time failure-domain check: what pools would lack without these hosts."""
    return removal_problems(state.tree, state.pools, state.rules, hosts)
