"""The answer of `status` (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from ceph_tasks.ceph.models.common import CephModel
from ceph_tasks.ceph.models.health import Health
from ceph_tasks.ceph.models.pgs import PgMap


class OsdMapSummary(CephModel):
    """OSD counts and the osdmap epoch."""

    epoch: int
    num_osds: int = 0
    num_up_osds: int = 0
    num_in_osds: int = 0
    num_remapped_pgs: int = 0

    @model_validator(mode="before")
    @classmethod
    def _unnest(cls, data: Any) -> Any:
        # Some releases print {"osdmap": {"osdmap": {...}}}.
        if isinstance(data, dict) and isinstance(data.get("osdmap"), dict):
            return data["osdmap"]
        return data

    @property
    def num_down_osds(self) -> int:
        """OSDs that exist but are not up."""
        return self.num_osds - self.num_up_osds


class Status(CephModel):
    """Cluster health, OSD counts and PG states."""

    fsid: str
    health: Health
    osdmap: OsdMapSummary
    pgmap: PgMap
