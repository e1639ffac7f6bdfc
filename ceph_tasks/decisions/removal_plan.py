"""What is left to do to take a host's OSDs out of a cluster (pure).

The order is cephadm's `osd rm` without its drain (the data must be moved already): mark the
OSDs out, stop their daemons, wait until the monitor sees them down, then purge them (gone
for good, ids free) or destroy them (ids and CRUSH places kept for replacement disks), and
in purge mode remove the empty host bucket. Each part is read from the live `osd tree`, so
a second run finds everything done and plans nothing.
https://docs.ceph.com/en/pacific/rados/operations/add-or-rm-osds/#removing-osds-manual
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from ceph_tasks.ceph.models import OsdTree, TreeNode

#: The status `osd tree` prints for an OSD whose store was destroyed (its id kept).
DESTROYED = "destroyed"


class RemovalMode(StrEnum):
    """Purge frees the ids and the host bucket; destroy keeps both for new disks."""

    PURGE = "purge"
    DESTROY = "destroy"


@dataclass(frozen=True)
class RemovalPlan:
    """The steps still to take, each listing only the OSDs it would change."""

    mode: RemovalMode
    #: The host's OSDs that still exist in the osdmap (destroyed ones included).
    osds: tuple[int, ...]
    to_out: tuple[int, ...]
    to_stop: tuple[int, ...]
    to_remove: tuple[int, ...]
    #: The host bucket is still in the CRUSH map and goes once its OSDs are purged.
    remove_bucket: bool

    @property
    def done(self) -> bool:
        """True when nothing is left to change."""
        return not (self.to_out or self.to_stop or self.to_remove or self.remove_bucket)


def host_osds(tree: OsdTree, host: str) -> tuple[TreeNode, ...]:
    """The OSDs under a host bucket, by id (none when the bucket is gone).

    Only the live bucket counts, never the inventory's list: after a purge its ids are free
    and may already belong to OSDs created on another host.
    """
    ids = tree.hosts().get(host, frozenset())
    return tuple(n for n in tree.osds() if n.id in ids)


def plan_removal(tree: OsdTree, host: str, mode: RemovalMode,
                 only: Collection[int] | None = None) -> RemovalPlan:
    """What remains to remove the host's OSDs, or only some (and its bucket in purge mode)."""
    osds = [n for n in host_osds(tree, host) if only is None or n.id in only]
    alive = [n for n in osds if n.status != DESTROYED]
    return RemovalPlan(
        mode=mode,
        osds=tuple(n.id for n in osds),
        to_out=tuple(n.id for n in alive if not n.out),
        to_stop=tuple(n.id for n in alive if n.up),
        to_remove=tuple(n.id for n in (osds if mode is RemovalMode.PURGE else alive)),
        remove_bucket=mode is RemovalMode.PURGE and host in tree.hosts() and only is None,
    )
