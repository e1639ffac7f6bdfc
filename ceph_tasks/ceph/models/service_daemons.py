"""The monitors, managers and MDS daemons of a cluster: who is active, and where each runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field

from ceph_tasks.ceph.models.common import CephModel


class DaemonKind(StrEnum):
    """The daemons other than OSDs a host may run."""

    MON = "mon"
    MGR = "mgr"
    MDS = "mds"


class Daemon(CephModel):
    """One monitor, manager or MDS: its name, the host its metadata reports, its state."""

    kind: DaemonKind
    name: str
    #: The hostname the daemon reports in its metadata ("" when it reported none).
    hostname: str = ""
    #: A monitor in quorum, the active manager, an MDS holding a rank.
    active: bool = False
    #: "in quorum", "standby", "up:active", ...: as `status` would say it.
    state: str = ""
    #: The file system an MDS serves (or stands by for: "" for any).
    fs: str = ""

    @property
    def entity(self) -> str:
        """Ceph's name for it: mon.a2, mgr.a2, mds.b1."""
        return f"{self.kind}.{self.name}"

    def describe(self) -> str:
        """The daemon and its state, e.g. "mds.b1 (up:active, cephfs)"."""
        return f"{self.entity} ({', '.join(p for p in (self.state, self.fs) if p)})"


class Daemons(CephModel):
    """Every monitor (the monmap), manager and MDS of a cluster."""

    daemons: tuple[Daemon, ...] = ()
    #: Each file system's standby_count_wanted: fewer standbys raise MDS_INSUFFICIENT_STANDBY.
    standbys_wanted: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_answers(cls, quorum_status: Mapping[str, Any], mgr_dump: Mapping[str, Any],
                     fs_dump: Mapping[str, Any],
                     metadata: Mapping[DaemonKind, Sequence[Mapping[str, Any]]]) -> Daemons:
        """Build from `quorum_status`, `mgr dump`, `fs dump` and `mon|mgr|mds metadata`."""
        hosts = {(kind, str(m.get("name", ""))): str(m.get("hostname", ""))
                 for kind, entries in metadata.items() for m in entries}
        found: list[Daemon] = []

        def add(kind: DaemonKind, name: str, active: bool, state: str, fs: str = "") -> None:
            found.append(Daemon(kind=kind, name=name, hostname=hosts.get((kind, name), ""),
                                active=active, state=state, fs=fs))

        quorum = set(quorum_status.get("quorum_names", ()))
        for mon in quorum_status.get("monmap", {}).get("mons", ()):
            name = str(mon["name"])
            add(DaemonKind.MON, name, name in quorum,
                "in quorum" if name in quorum else "out of quorum")
        active_mgr = str(mgr_dump.get("active_name", ""))
        if active_mgr:
            add(DaemonKind.MGR, active_mgr, bool(mgr_dump.get("available", True)), "active")
        for standby in mgr_dump.get("standbys", ()):
            add(DaemonKind.MGR, str(standby["name"]), False, "standby")
        for fs in fs_dump.get("filesystems", ()):
            mdsmap = fs.get("mdsmap", {})
            for info in mdsmap.get("info", {}).values():
                state = str(info.get("state", ""))
                # A rank's holder (active, or on its way to it); standby-replay holds none.
                holds_rank = int(info.get("rank", -1)) >= 0 and state != "up:standby-replay"
                add(DaemonKind.MDS, str(info["name"]), holds_rank, state,
                    str(mdsmap.get("fs_name", "")))
        for standby in fs_dump.get("standbys", ()):
            add(DaemonKind.MDS, str(standby["name"]), False, str(standby.get("state", "")))
        wanted = {str(fs.get("mdsmap", {}).get("fs_name", "")):
                  int(fs.get("mdsmap", {}).get("standby_count_wanted", 0))
                  for fs in fs_dump.get("filesystems", ())}
        return cls(daemons=tuple(found), standbys_wanted=wanted)

    def of(self, kind: DaemonKind) -> tuple[Daemon, ...]:
        """The daemons of one kind."""
        return tuple(d for d in self.daemons if d.kind is kind)
