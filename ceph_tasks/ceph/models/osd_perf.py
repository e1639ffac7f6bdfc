"""The answer of `osd perf`: per-OSD commit and apply latency (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel


class OsdLatency(CephModel):
    """One OSD's latest commit and apply latency, in milliseconds."""

    id: int
    commit_latency_ms: float = 0.0
    apply_latency_ms: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        # Ceph nests the figures: {"id": 5, "perf_stats": {"commit_latency_ms": 0, ...}}.
        if isinstance(data, dict) and isinstance(data.get("perf_stats"), dict):
            return {"id": data.get("id"), **data["perf_stats"]}
        return data


class OsdPerf(CephModel):
    """Every OSD's latency as the manager last heard it (all zero on memstore)."""

    osds: tuple[OsdLatency, ...] = Field(default=())

    @model_validator(mode="before")
    @classmethod
    def _unnest(cls, data: Any) -> Any:
        # Pacific prints {"pg_ready": true, "osdstats": {"osd_perf_infos": [...]}}; older
        # releases print {"osd_perf_infos": [...]} at the top.
        if not isinstance(data, dict):
            return data
        inner = data.get("osdstats", data)
        if isinstance(inner, dict) and "osd_perf_infos" in inner:
            return {"osds": inner["osd_perf_infos"]}
        return data
