"""The answer of `osd tree`: CRUSH buckets and the OSDs under them (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models.common import CephModel


class TreeNode(CephModel):
    """A CRUSH bucket (negative id) or an OSD (id >= 0)."""

    id: int
    name: str
    type: str
    type_id: int = 0
    children: tuple[int, ...] = ()
    crush_weight: float | None = None
    device_class: str | None = None
    status: str | None = None
    reweight: float | None = None

    @property
    def is_osd(self) -> bool:
        """True for an OSD, false for a bucket."""
        return self.id >= 0

    @property
    def up(self) -> bool:
        """True for an OSD reported up."""
        return self.status == "up"

    @property
    def out(self) -> bool:
        """True for an OSD marked out (reweight 0)."""
        return self.reweight == 0


class OsdTree(CephModel):
    """Every CRUSH node; stray OSDs exist but sit in no bucket."""

    nodes: tuple[TreeNode, ...]
    stray: tuple[TreeNode, ...] = ()

    def node(self, node_id: int) -> TreeNode | None:
        """The node with that id, or None."""
        return next((n for n in (*self.nodes, *self.stray) if n.id == node_id), None)

    def osds(self) -> tuple[TreeNode, ...]:
        """Every OSD, in buckets or stray, by id."""
        return tuple(sorted((n for n in (*self.nodes, *self.stray) if n.is_osd),
                            key=lambda n: n.id))

    def buckets(self, bucket_type: str) -> dict[str, frozenset[int]]:
        """Buckets of a type (host, rack, ...) by name, each with the OSD ids below it."""
        by_id = {n.id: n for n in self.nodes}
        return {n.name: frozenset(_osds_below(n, by_id)) for n in self.nodes
                if n.type == bucket_type}

    def hosts(self) -> dict[str, frozenset[int]]:
        """Host buckets by name with their OSD ids: the live layout inventories compare to."""
        return self.buckets("host")

    def host_of(self, osd_id: int) -> str | None:
        """The host bucket holding an OSD, or None (stray or unknown)."""
        return next((h for h, ids in self.hosts().items() if osd_id in ids), None)

    def crush_weights(self, osd_ids: frozenset[int] | None = None) -> dict[int, float]:
        """CRUSH weight per OSD (all OSDs, or those given)."""
        return {n.id: n.crush_weight or 0.0 for n in self.osds()
                if osd_ids is None or n.id in osd_ids}

    def down_osds(self) -> tuple[int, ...]:
        """Ids of OSDs in the tree that are not up."""
        return tuple(n.id for n in self.osds() if n.status is not None and not n.up)


def _osds_below(node: TreeNode, by_id: dict[int, TreeNode]) -> set[int]:
    found: set[int] = set()
    pending = list(node.children)
    seen: set[int] = set()
    while pending:
        child = pending.pop()
        if child in seen:
            continue  # CRUSH maps are trees, but a malformed answer must not loop forever
        seen.add(child)
        if child >= 0:
            found.add(child)
        elif child in by_id:
            pending.extend(by_id[child].children)
    return found
