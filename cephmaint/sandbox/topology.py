"""The shape of a sandbox cluster: hosts, racks, device classes, daemons and pools (pure).

A topology is YAML (`sandbox up --topology FILE`, or the name of a built-in one), validated
here; a topology that cannot be placed is refused before anything starts, naming the file,
the line and the key. Built-in topologies are in cephmaint/sandbox/topologies/.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Self

from pydantic import ByteSize, Field, model_validator

from inventory import load_model
from inventory.base import InventoryModel, cross_check_error
from inventory.fields import CrushName, HostName, StrictBool, StrictInt

NonNegative = Annotated[StrictInt, Field(ge=0)]
Positive = Annotated[StrictInt, Field(ge=1)]


class Store(StrEnum):
    """Where OSDs keep their data."""

    MEMSTORE = "memstore"
    BLUESTORE = "bluestore"


class PgLog(StrEnum):
    """How long PG logs are: short ones make data backfill as on production clusters."""

    SHORT = "short"
    DEFAULT = "default"


class FailureDomain(StrEnum):
    """The CRUSH bucket type a pool spreads its copies over."""

    OSD = "osd"
    HOST = "host"
    RACK = "rack"


class HostSpec(InventoryModel):
    """One host: its OSDs and devices, its rack and device class, the daemons it runs."""

    osds: NonNegative = 0
    rack: CrushName | None = None
    device_class: CrushName = Field("hdd", alias="class")
    #: Disks in the host; the OSDs take the first ones. Default: one more than the OSDs.
    devices: NonNegative | None = None
    mon: StrictBool = False
    mgr: StrictBool = False
    mds: StrictBool = False
    #: One fast device holds the DB of every BlueStore OSD of the host (bluestore only).
    db_shared: StrictBool = False
    #: The size each of its disks reports, as a technician reads it on the label (the store
    #: behind it is small): its OSDs weigh it in TiB, as Ceph weighs a new OSD.
    disk_size: ByteSize = ByteSize(1 << 40)

    @property
    def device_count(self) -> int:
        """How many disks the host has."""
        return self.devices if self.devices is not None else self.osds + 1

    @model_validator(mode="after")
    def _enough_devices(self) -> Self:
        if self.device_count < self.osds:
            raise cross_check_error(["devices"], f"{self.device_count} devices cannot hold "
                                                 f"{self.osds} OSDs")
        return self


class Erasure(InventoryModel):
    """An erasure code: k data chunks and m coding chunks."""

    k: Annotated[StrictInt, Field(ge=2)]
    m: Positive


class PoolSpec(InventoryModel):
    """A pool, its CRUSH rule (failure domain, device class), PGs and objects written."""

    name: CrushName
    size: Positive | None = None
    min_size: Positive | None = None
    erasure: Erasure | None = None
    failure_domain: FailureDomain = FailureDomain.HOST
    device_class: CrushName | None = None
    pg_num: Positive = 16
    objects: NonNegative = 100

    @property
    def width(self) -> int:
        """How many failure domains the pool needs: its size, or k+m."""
        if self.erasure is not None:
            return self.erasure.k + self.erasure.m
        return self.size if self.size is not None else 3

    @property
    def copies_needed(self) -> int:
        """min_size: k+1 for an erasure pool (Ceph's default), else as given or size-size/2."""
        if self.min_size is not None:
            return self.min_size
        if self.erasure is not None:
            return self.erasure.k + 1
        return self.width - self.width // 2

    @model_validator(mode="after")
    def _sizes(self) -> Self:
        if self.erasure is not None and self.size is not None:
            raise cross_check_error(["size"], "an erasure pool's size is k+m; leave size out")
        if self.copies_needed > self.width:
            raise cross_check_error(["min_size"], f"min_size {self.copies_needed} is larger "
                                                  f"than the pool's size {self.width}")
        if self.erasure is not None and self.copies_needed < self.erasure.k:
            raise cross_check_error(["min_size"], f"min_size below k={self.erasure.k} "
                                                  "would accept writes it cannot read back")
        return self


class Topology(InventoryModel):
    """The whole sandbox: object size, store, PG logs, hosts and pools."""

    object_size: ByteSize = ByteSize(16 * 1024)
    store: Store = Store.MEMSTORE
    pg_log: PgLog = PgLog.SHORT
    hosts: dict[HostName, HostSpec] = Field(min_length=1)
    pools: tuple[PoolSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _placeable(self) -> Self:
        racks = {spec.rack for spec in self.hosts.values() if spec.rack}
        for name in sorted(racks & set(self.hosts)):
            raise cross_check_error(["hosts", name], f"{name} is both a host and a rack")
        for name, spec in self.hosts.items():
            if spec.db_shared and self.store != Store.BLUESTORE:
                raise cross_check_error(["hosts", name, "db_shared"],
                                        "a shared DB device needs store: bluestore")
        seen: set[str] = set()
        classes = {s.device_class for s in self.hosts.values() if s.osds}
        for index, pool in enumerate(self.pools):
            if pool.name in seen:
                raise cross_check_error(["pools", index, "name"],
                                        f"pool {pool.name} is defined twice")
            seen.add(pool.name)
            if pool.device_class is not None and pool.device_class not in classes:
                raise cross_check_error(
                    ["pools", index, "device_class"],
                    f"no OSD has device class {pool.device_class} "
                    f"(classes: {', '.join(sorted(classes)) or 'none'})")
            unracked = [n for n, s in self.hosts.items() if s.osds and not s.rack]
            if pool.failure_domain == FailureDomain.RACK and unracked:
                # A rack rule never descends into a host hanging straight off the root.
                raise cross_check_error(["pools", index, "failure_domain"],
                                        f"pool {pool.name} spreads over racks but host "
                                        f"{unracked[0]} is in none")
            domains = self.failure_domains(pool)
            if pool.width > len(domains):
                what = "k+m" if pool.erasure else "size"
                raise cross_check_error(
                    ["pools", index, "erasure" if pool.erasure else "size"],
                    f"pool {pool.name} needs {pool.width} {pool.failure_domain}s ({what}) but "
                    f"the topology has {len(domains)}"
                    + (f" with device class {pool.device_class}" if pool.device_class else ""))
        return self

    def failure_domains(self, pool: PoolSpec) -> set[str]:
        """The failure domains holding OSDs a pool can use (of its class, if it has one)."""
        found: set[str] = set()
        for name, spec in self.hosts.items():
            if not spec.osds or (pool.device_class and spec.device_class != pool.device_class):
                continue
            if pool.failure_domain == FailureDomain.OSD:
                found |= {f"{name}:{i}" for i in range(spec.osds)}
            elif pool.failure_domain == FailureDomain.RACK:
                if spec.rack:
                    found.add(spec.rack)
            else:
                found.add(name)
        return found

    def daemon_hosts(self, daemon: str) -> tuple[str, ...]:
        """The hosts running mon, mgr or mds; mon and mgr default to the first host."""
        chosen = tuple(name for name, spec in self.hosts.items() if getattr(spec, daemon))
        if chosen or daemon == "mds":
            return chosen
        return (next(iter(self.hosts)),)

    @property
    def widest_failure_domain(self) -> FailureDomain:
        """The largest failure domain any pool uses: the unit a maintenance plans around."""
        order = list(FailureDomain)
        return max((p.failure_domain for p in self.pools), key=order.index)


#: The built-in topologies, by name.
BUILT_IN = ("default", "racks", "mixed")


def load_topology(source: str | Path) -> Topology:
    """A topology file, or a built-in topology by name."""
    if isinstance(source, str) and source in BUILT_IN:
        with resources.as_file(resources.files(__package__) / "topologies" /
                               f"{source}.yaml") as path:
            return load_model(path, Topology)
    return load_model(source, Topology)
