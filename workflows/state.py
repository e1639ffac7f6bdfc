"""What builders know of a live cluster: read once, passed in, never read while building."""

from __future__ import annotations

from dataclasses import dataclass

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import CrushRule, OsdDf, OsdTree, Pool, Status


@dataclass(frozen=True)
class ClusterState:
    """Status, CRUSH tree, usage, pools and rules of a cluster at one moment."""

    status: Status
    tree: OsdTree
    df: OsdDf
    pools: tuple[Pool, ...]
    rules: tuple[CrushRule, ...]

    def osds_of(self, host: str) -> tuple[int, ...]:
        """The OSD ids CRUSH places under a host (none if it has no bucket)."""
        return tuple(sorted(self.tree.hosts().get(host, frozenset())))

    def bytes_on(self, osds: tuple[int, ...]) -> int:
        """Bytes stored on these OSDs: the data a drain of them moves."""
        used = (self.df.osd(i) for i in osds)
        return sum(u.kb_used * 1024 for u in used if u is not None)


def read_state(ceph: Ceph) -> ClusterState:
    """Read everything a builder needs from a live cluster."""
    return ClusterState(status=ceph.status(), tree=ceph.osd_tree(), df=ceph.osd_df(),
                        pools=ceph.pool_ls_detail(), rules=ceph.crush_rule_dump())
