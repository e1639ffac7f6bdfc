"""Compare a cluster's inventory with its live CRUSH layout (pure; no Ceph access)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from inventory.models import Cluster


@dataclass(frozen=True, order=True)
class OsdPlacement:
    """An OSD id under a host name."""

    osd_id: int
    host: str


@dataclass(frozen=True, order=True)
class MovedOsd:
    """An OSD that the inventory places on one host and CRUSH under another."""

    osd_id: int
    inventory_host: str
    live_host: str


@dataclass(frozen=True)
class LayoutReport:
    """Differences between the inventory and the live CRUSH layout of one cluster."""

    cluster: str
    hosts_only_in_inventory: tuple[str, ...] = ()
    hosts_only_live: tuple[str, ...] = ()
    osds_only_in_inventory: tuple[OsdPlacement, ...] = ()
    osds_only_live: tuple[OsdPlacement, ...] = ()
    osds_on_other_host: tuple[MovedOsd, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the two layouts agree."""
        return not (
            self.hosts_only_in_inventory
            or self.hosts_only_live
            or self.osds_only_in_inventory
            or self.osds_only_live
            or self.osds_on_other_host
        )

    def render(self) -> str:
        """Human-readable text, one difference per line."""
        if self.ok:
            return f"cluster {self.cluster}: the inventory matches the live CRUSH layout"
        lines = [f"cluster {self.cluster}: the inventory and the live CRUSH layout differ"]
        lines += [
            f"  host {h}: in the inventory, no CRUSH bucket live"
            for h in self.hosts_only_in_inventory
        ]
        lines += [
            f"  host {h}: CRUSH bucket live, not in the inventory" for h in self.hosts_only_live
        ]
        lines += [
            f"  osd.{o.osd_id}: in the inventory on {o.host}, not live"
            for o in self.osds_only_in_inventory
        ]
        lines += [
            f"  osd.{o.osd_id}: live under {o.host}, not in the inventory"
            for o in self.osds_only_live
        ]
        lines += [
            f"  osd.{m.osd_id}: live under {m.live_host}, inventory says {m.inventory_host}"
            for m in self.osds_on_other_host
        ]
        return "\n".join(lines)


def compare_layout(cluster: Cluster, live: Mapping[str, Set[int]]) -> LayoutReport:
    """Compare the cluster's hosts and OSDs with live CRUSH host buckets (name -> OSD ids).

    Hosts are matched by name with CRUSH host buckets. An inventory host without OSDs
    (a spare, or hardware not yet added) is not expected to have a bucket.
    """
    planned = {osd.id: osd.host for osd in cluster.osds}
    hosts_with_osds = set(planned.values())
    inventory_hosts = {host.name for host in cluster.hosts}
    # CRUSH can list an item under several buckets: compare every live (host, id) pair.
    pairs = sorted((osd_id, host) for host, ids in live.items() for osd_id in ids)
    live_ids = {osd_id for osd_id, _ in pairs}
    return LayoutReport(
        cluster=cluster.name,
        hosts_only_in_inventory=tuple(sorted(hosts_with_osds - live.keys())),
        hosts_only_live=tuple(sorted(live.keys() - inventory_hosts)),
        osds_only_in_inventory=tuple(
            OsdPlacement(osd_id, host)
            for osd_id, host in sorted(planned.items())
            if osd_id not in live_ids
        ),
        osds_only_live=tuple(
            OsdPlacement(osd_id, host) for osd_id, host in pairs if osd_id not in planned
        ),
        osds_on_other_host=tuple(
            MovedOsd(osd_id, planned[osd_id], host)
            for osd_id, host in pairs
            if osd_id in planned and planned[osd_id] != host
        ),
    )
