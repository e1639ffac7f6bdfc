"""The devices Ceph knows (`device ls`), with the life expectancy the manager predicts (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import field_validator

from ceph_tasks.ceph.models.common import CephModel

#: How Ceph prints "no time": an unset utime_t.
_UNSET = frozenset({"", "0.000000", "0.000000+0000"})


def ceph_time(value: Any) -> datetime | None:
    """A time as Ceph prints it (2026-11-29T04:08:23.258202+0000), None when unset."""
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text in _UNSET:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"not a Ceph time: {text!r}") from e


def osd_ids(names: Iterable[str]) -> tuple[int, ...]:
    """The ids of the OSDs among daemon names (osd.3 -> 3; mon.a and the like left out)."""
    return tuple(int(n.strip()[4:]) for n in names
                 if n.strip().startswith("osd.") and n.strip()[4:].isdigit())


class DeviceLocation(CephModel):
    """Where a device sits: its host and kernel name (and a stable path, when known)."""

    host: str
    dev: str = ""
    path: str = ""


class CephDevice(CephModel):
    """One physical device: its id (vendor_model_serial), where it is, the daemons on it."""

    devid: str
    location: tuple[DeviceLocation, ...] = ()
    daemons: tuple[str, ...] = ()
    #: When the manager predicts it fails (the devicehealth module: between min and max).
    life_expectancy_min: datetime | None = None
    life_expectancy_max: datetime | None = None
    wear_level: float | None = None

    @field_validator("life_expectancy_min", "life_expectancy_max", mode="before")
    @classmethod
    def _time(cls, value: Any) -> datetime | None:
        return ceph_time(value)

    @property
    def osds(self) -> tuple[int, ...]:
        """The OSDs that use it (its daemons named osd.N)."""
        return osd_ids(self.daemons)

    @property
    def serial(self) -> str:
        """The serial, the last part of the device id (vendor_model_serial)."""
        return self.devid.rsplit("_", 1)[-1]
