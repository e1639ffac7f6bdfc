"""The answers of `osd ok-to-stop` and `osd safe-to-destroy` (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from ceph_tasks.ceph.models.common import CephModel


class OkToStop(CephModel):
    """Whether stopping the OSDs keeps every PG available.

    Ceph answers EBUSY with this JSON when it is not ok, and EAGAIN without JSON while PGs
    are in an unknown state; both are "not now", with reason holding the cluster's message.
    """

    ok_to_stop: bool
    osds: tuple[int, ...] = ()
    num_ok_pgs: int = 0
    num_not_ok_pgs: int = 0
    bad_become_inactive: tuple[str, ...] = ()
    ok_become_degraded: tuple[str, ...] = ()
    ok_become_more_degraded: tuple[str, ...] = ()
    reason: str = ""


class SafeToDestroy(CephModel):
    """Which OSDs can be destroyed without losing data, and why the others cannot.

    With a format, Ceph exits 0 even when some are unsafe: only safe_to_destroy counts.
    """

    safe_to_destroy: tuple[int, ...] = ()
    active: tuple[int, ...] = ()
    missing_stats: tuple[int, ...] = ()
    stored_pgs: tuple[int, ...] = ()
    reason: str = ""

    def all_safe(self, osd_ids: Iterable[int]) -> bool:
        """True when every given OSD is listed as safe to destroy."""
        wanted = set(osd_ids)
        return bool(wanted) and wanted <= set(self.safe_to_destroy)
