"""What each sandbox host holds: which OSD lives on which device, the disks' serials, boots,
and the monitors, managers and MDS daemons added to or removed from hosts since creation."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class OsdRecord:
    """An OSD the sandbox created: where it lives and whether it should be running."""

    osd_id: int
    host: str
    device: str
    uuid: str
    enabled: bool = True


class Registry:
    """A small JSON file shared by `sandbox up` and the hosts' control commands, under a lock."""

    def __init__(self, root: Path) -> None:
        self.path = root / "registry.json"

    @contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        """Lock the file, yield its content for changes, and write it back."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
            tmp.replace(self.path)

    def _read(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            data = {}
        data.setdefault("osds", {})
        data.setdefault("serials", {})
        data.setdefault("boots", {})
        data.setdefault("dies_on_boot", [])
        data.setdefault("services", {})
        return data

    def osds(self) -> list[OsdRecord]:
        """Every OSD the sandbox knows, by id."""
        return sorted(
            (OsdRecord(**rec) for rec in self._read()["osds"].values()), key=lambda r: r.osd_id
        )

    def osd(self, osd_id: int) -> OsdRecord | None:
        """The record of one OSD, if any."""
        rec = self._read()["osds"].get(str(osd_id))
        return OsdRecord(**rec) if rec else None

    def put_osd(self, rec: OsdRecord) -> None:
        """Add or replace an OSD record."""
        with self.edit() as data:
            data["osds"][str(rec.osd_id)] = asdict(rec)

    def drop_osd(self, osd_id: int) -> None:
        """Forget an OSD."""
        with self.edit() as data:
            data["osds"].pop(str(osd_id), None)

    def serial(self, device: str, default: str) -> str:
        """The serial number a device reports now (it changes when a disk is swapped)."""
        return str(self._read()["serials"].get(device, default))

    def set_serial(self, device: str, serial: str) -> None:
        """Record the serial of a new disk put in a device's bay."""
        with self.edit() as data:
            data["serials"][device] = serial

    def die_on_next_boot(self, host: str) -> None:
        """Make the host's next reboot its last: it does not come back."""
        with self.edit() as data:
            data["dies_on_boot"] = sorted({*data["dies_on_boot"], host})

    def dies_on_boot(self, host: str) -> bool:
        """Whether the host's next reboot is its last."""
        return host in self._read()["dies_on_boot"]

    def boots(self, host: str) -> int:
        """How many times a host was rebooted (its boot id stands on this)."""
        return int(self._read()["boots"].get(host, 0))

    def booted(self, host: str) -> None:
        """Count one more boot of a host."""
        with self.edit() as data:
            data["boots"][host] = int(data["boots"].get(host, 0)) + 1

    def service_hosts(self, kind: str, created: Sequence[str]) -> list[str]:
        """The hosts that run a daemon of kind: those it was created on, as changed since."""
        placed = self._read()["services"]
        added = [h for h in placed.get(kind, {}) if placed[kind][h] and h not in created]
        return [h for h in created if placed.get(kind, {}).get(h, True)] + sorted(added)

    def place_service(self, kind: str, host: str, running: bool) -> None:
        """Record that host now runs (or no longer runs) a daemon of kind."""
        with self.edit() as data:
            data["services"].setdefault(kind, {})[host] = running
