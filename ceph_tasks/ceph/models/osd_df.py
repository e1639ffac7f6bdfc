"""The answer of `osd df`: per-OSD space use and PG counts (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models.common import CephModel


class OsdUsage(CephModel):
    """One OSD's weights, space use (KiB), utilisation (percent) and PG count."""

    id: int
    name: str
    crush_weight: float = 0.0
    reweight: float = 0.0
    kb: int = 0
    kb_used: int = 0
    kb_avail: int = 0
    utilization: float = 0.0
    pgs: int = 0
    status: str | None = None


class DfSummary(CephModel):
    """Cluster-wide totals."""

    total_kb: int = 0
    total_kb_used: int = 0
    total_kb_avail: int = 0
    average_utilization: float = 0.0


class OsdDf(CephModel):
    """Every OSD's use and the totals."""

    nodes: tuple[OsdUsage, ...]
    summary: DfSummary = DfSummary()

    def osd(self, osd_id: int) -> OsdUsage | None:
        """The usage of one OSD, or None when it is not listed."""
        return next((n for n in self.nodes if n.id == osd_id), None)

    def pgs_on(self, osd_ids: frozenset[int]) -> int:
        """PGs mapped to the given OSDs: 0 once they are drained."""
        return sum(n.pgs for n in self.nodes if n.id in osd_ids)
