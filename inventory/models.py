"""The fleet: OSDs, clusters and the inventory root, with their consistency checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from inventory.base import InventoryModel, cross_check_error
from inventory.errors import UnknownClusterError, UnknownHostError, UnknownOsdError
from inventory.failures import FailurePolicy
from inventory.fields import CrushName, DevicePath, HostName, StrictInt, Text
from inventory.host import Host
from inventory.settings import (
    CephAccess,
    ClientImpact,
    MaintenanceWindow,
    MonitoringTargets,
    NotificationTargets,
    Throttles,
)

#: A Ceph health check code, e.g. BLUESTORE_SLOW_OP_ALERT.
HealthCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=64)]


class StandardDeviceClass(StrEnum):
    """The device classes Ceph assigns by itself; clusters may define others."""

    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"


class Osd(InventoryModel):
    """An OSD: its id, the host and device it lives on, and its CRUSH device class."""

    id: StrictInt = Field(ge=0)
    host: HostName
    device: DevicePath
    #: The fast device holding its BlueStore DB/WAL, when not its own disk: every OSD naming
    #: the same one fails with it, and is replaced with it (a device of its host, db: true).
    db_device: DevicePath | None = None
    # Open set: the standard classes or any custom CRUSH class name.
    device_class: CrushName

    @field_validator("device_class", mode="before")
    @classmethod
    def _plain_class(cls, value: object) -> object:
        # Store StandardDeviceClass members as plain strings so dumps and equality are simple.
        return value.value if isinstance(value, StandardDeviceClass) else value

    @property
    def name(self) -> str:
        """The Ceph entity name, e.g. osd.4."""
        return f"osd.{self.id}"


class Cluster(InventoryModel):
    """A Ceph cluster with its settings, hosts and OSDs."""

    name: CrushName
    access: CephAccess
    failure_domain_type: CrushName = "host"
    monitoring: MonitoringTargets = MonitoringTargets()
    notifications: NotificationTargets = NotificationTargets()
    # When data may move or OSDs be destroyed: inside one of these (none: at any time), and
    # for a host, inside one of its datacenter's windows too when that datacenter has some.
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()
    datacenter_windows: dict[Text, tuple[MaintenanceWindow, ...]] = Field(default_factory=dict)
    throttles: Throttles = Throttles()
    # Weight steps hold while clients feel the cluster: slow ops, OSD latency, a query.
    client_impact: ClientImpact = ClientImpact()
    # Health check codes that never hold a maintenance back (a warning this cluster lives
    # with); checks about data availability block whatever this says.
    health_allowlist: tuple[HealthCode, ...] = ()
    #: Maintenances live on the cluster at once; above 1 only while the failure-domain
    #: guard passes for all their hosts together.
    max_concurrent_maintenances: StrictInt = Field(default=1, ge=1)
    #: How long a host may stay down in a maintenance without a drain (its OSDs held in
    #: by the host's noout) before the maintenance stops waiting and asks the operator.
    max_down_seconds: float = Field(default=30 * 60.0, gt=0, allow_inf_nan=False)
    # Monitors a retirement must leave: a host's monitor is removed only if this many stay.
    min_monitors: StrictInt = Field(default=3, ge=1)
    #: What `cephmaint watch` does when a disk fails or is predicted to.
    failures: FailurePolicy = FailurePolicy()
    hosts: tuple[Host, ...] = ()
    osds: tuple[Osd, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Cluster:
        self._check_hosts()
        self._check_osds()
        self._check_datacenters()
        return self

    def _check_hosts(self) -> None:
        names: dict[str, int] = {}
        endpoints: dict[tuple[str, int], str] = {}
        serials: dict[str, str] = {}
        for index, host in enumerate(self.hosts):
            # Host names are case-insensitive (RFC 1123), so "Node1" clashes with "node1".
            key = host.name.lower()
            if key in names:
                raise cross_check_error(
                    ["hosts", index, "name"],
                    f"host {host.name} is defined twice (also hosts[{names[key]}])",
                )
            names[key] = index
            endpoint = (host.ssh.address.lower(), host.ssh.port)
            if endpoint in endpoints:
                raise cross_check_error(
                    ["hosts", index, "ssh", "address"],
                    f"host {host.name} has the same SSH address and port as {endpoints[endpoint]}",
                )
            endpoints[endpoint] = host.name
            for position, device in enumerate(host.devices):
                if device.serial is None:
                    continue
                if device.serial in serials:
                    raise cross_check_error(
                        ["hosts", index, "devices", position, "serial"],
                        f"serial {device.serial} is also used by {serials[device.serial]}",
                    )
                serials[device.serial] = f"{host.name}:{device.path}"

    def _check_osds(self) -> None:
        hosts = {host.name: host for host in self.hosts}
        ids: dict[int, int] = {}
        used: dict[tuple[str, str], int] = {}
        for index, osd in enumerate(self.osds):
            if osd.id in ids:
                raise cross_check_error(
                    ["osds", index, "id"],
                    f"OSD id {osd.id} is used twice (also osds[{ids[osd.id]}])",
                )
            ids[osd.id] = index
            host = hosts.get(osd.host)
            if host is None:
                known = ", ".join(hosts) or "none"
                raise cross_check_error(
                    ["osds", index, "host"],
                    f"{osd.name} is on host {osd.host}, which is not in cluster "
                    f"{self.name} (hosts: {known})",
                )
            if all(device.path != osd.device for device in host.devices):
                known = ", ".join(d.path for d in host.devices) or "none"
                raise cross_check_error(
                    ["osds", index, "device"],
                    f"{osd.name} uses {osd.device}, which is not a device of host "
                    f"{host.name} (devices: {known})",
                )
            self._check_db_device(index, osd, host)
            slot = (osd.host, osd.device)
            if slot in used:
                raise cross_check_error(
                    ["osds", index, "device"],
                    f"{osd.name} and osd.{used[slot]} both use {osd.device} on {osd.host}",
                )
            used[slot] = osd.id

    @staticmethod
    def _check_db_device(index: int, osd: Osd, host: Host) -> None:
        devices = {d.path: d for d in host.devices}
        if devices[osd.device].db:
            raise cross_check_error(["osds", index, "device"],
                                    f"{osd.name} uses {osd.device} of {host.name} as its data "
                                    "disk, but it is a DB device (db: true)")
        if osd.db_device is None:
            return
        shared = devices.get(osd.db_device)
        if shared is None or not shared.db:
            listed = ", ".join(d.path for d in host.devices if d.db) or "none"
            raise cross_check_error(["osds", index, "db_device"],
                                    f"{osd.name} keeps its DB on {osd.db_device}, which is not "
                                    f"a DB device (db: true) of host {host.name} (DB devices: "
                                    f"{listed})")

    def _check_datacenters(self) -> None:
        known = sorted({host.datacenter for host in self.hosts})
        for name in self.datacenter_windows:
            if name not in known:
                raise cross_check_error(
                    ["datacenter_windows", name],
                    f"no host of cluster {self.name} is in datacenter {name!r} "
                    f"(datacenters: {', '.join(known) or 'none'})",
                )

    def windows_of(self, host: str | None = None) -> tuple[tuple[MaintenanceWindow, ...], ...]:
        """The window sets that must all be open for work on host (or the whole cluster)."""
        sets = [self.maintenance_windows] if self.maintenance_windows else []
        if host is not None:
            own = self.datacenter_windows.get(self.host(host).datacenter, ())
            if own:
                sets.append(own)
        return tuple(sets)

    def host(self, name: str) -> Host:
        """The host of that name; UnknownHostError if the cluster has none."""
        for host in self.hosts:
            if host.name == name:
                return host
        known = ", ".join(h.name for h in self.hosts) or "none"
        raise UnknownHostError(f"cluster {self.name} has no host {name!r} (hosts: {known})")

    def osd(self, osd_id: int) -> Osd:
        """The OSD with that id; UnknownOsdError if the cluster has none."""
        for osd in self.osds:
            if osd.id == osd_id:
                return osd
        raise UnknownOsdError(f"cluster {self.name} has no osd.{osd_id}")

    def osds_on(self, host: str) -> tuple[Osd, ...]:
        """The OSDs on a host, by id; UnknownHostError if the host is not in the cluster."""
        self.host(host)
        return tuple(sorted((o for o in self.osds if o.host == host), key=lambda o: o.id))


class Inventory(InventoryModel):
    """The whole fleet: every cluster, each with its hosts and OSDs."""

    clusters: tuple[Cluster, ...] = ()

    @model_validator(mode="after")
    def _unique_clusters(self) -> Inventory:
        seen: dict[str, int] = {}
        for index, cluster in enumerate(self.clusters):
            if cluster.name in seen:
                raise cross_check_error(
                    ["clusters", index, "name"],
                    f"cluster {cluster.name} is defined twice "
                    f"(also clusters[{seen[cluster.name]}])",
                )
            seen[cluster.name] = index
        return self

    def cluster(self, name: str) -> Cluster:
        """The cluster of that name; UnknownClusterError if there is none."""
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        known = ", ".join(c.name for c in self.clusters) or "none"
        raise UnknownClusterError(f"no cluster {name!r} in the inventory (clusters: {known})")
