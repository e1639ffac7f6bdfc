"""The flags of `osd dump`: cluster-wide osdmap flags, per-CRUSH-node and per-pool flags (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel
from ceph_tasks.ceph.models.device_list import ceph_time


class OsdDump(CephModel):
    """The osdmap epoch, flags, fullness ratios, upmap items; the rest of `osd dump` is not read."""

    epoch: int
    #: Cluster-wide flags, e.g. noout, noscrub (and the always-on ones such as sortbitwise).
    flags: frozenset[str] = frozenset()
    #: Flags set on CRUSH nodes by `osd set-group`, by node name (e.g. a host).
    crush_node_flags: dict[str, frozenset[str]] = Field(default_factory=dict)
    #: Each pool's flags (e.g. hashpspool, noscrub), by pool name, from the dump's pools.
    pool_flags: dict[str, frozenset[str]] = Field(default_factory=dict)
    #: The fullness ratios the cluster warns and stops at; None when the answer lacks them.
    full_ratio: float | None = None
    backfillfull_ratio: float | None = None
    nearfull_ratio: float | None = None
    #: When this epoch of the map was made (its "modified" stamp).
    modified: datetime | None = None
    #: The epoch each OSD now down was marked down in (its osd_info down_at). osd_xinfo's
    #: down_stamp is not a substitute: Pacific leaves it unset when peers report an OSD dead.
    down_at: dict[int, int] = Field(default_factory=dict)
    #: Each PG's upmap items, (from OSD, to OSD) in the order the monitors apply them.
    upmaps: dict[str, tuple[tuple[int, int], ...]] = Field(default_factory=dict)
    #: The oldest client release the cluster admits ("" when the answer lacks it).
    require_min_compat_client: str = ""

    @model_validator(mode="before")
    @classmethod
    def _flag_list(cls, data: Any) -> Any:
        # Pacific prints both "flags" (a comma-separated string) and "flags_set" (a list);
        # older releases print only the string. Prefer the list when it is there.
        if not isinstance(data, dict):
            return data
        flags = data.get("flags_set")
        if flags is None:
            text = data.get("flags", "")
            flags = [f for f in text.split(",") if f] if isinstance(text, str) else text
        pools = data.get("pools")
        pool_flags = {p["pool_name"]: [f for f in str(p.get("flags_names", "")).split(",") if f]
                      for p in pools if isinstance(p, dict) and "pool_name" in p
                      } if isinstance(pools, list) else data.get("pool_flags", {})
        return {**data, "flags": flags, "pool_flags": pool_flags,
                "modified": ceph_time(data.get("modified")), "down_at": _down_at(data),
                "upmaps": _upmaps(data)}

    def host_flags(self, host: str) -> frozenset[str]:
        """The flags set on one CRUSH node (e.g. a host bucket) by `osd set-group`."""
        return self.crush_node_flags.get(host, frozenset())

    def flags_of_pool(self, pool: str) -> frozenset[str]:
        """The flags of one pool (`osd pool set POOL noscrub 1` adds noscrub)."""
        return self.pool_flags.get(pool, frozenset())


def _down_at(data: dict[str, Any]) -> dict[int, int]:
    osds = data.get("osds")
    if not isinstance(osds, list):
        return data.get("down_at", {})  # type: ignore[no-any-return]
    return {o["osd"]: o["down_at"] for o in osds
            if isinstance(o, dict) and isinstance(o.get("osd"), int) and not o.get("up")
            and isinstance(o.get("down_at"), int) and o["down_at"] > 0}


def _upmaps(data: dict[str, Any]) -> dict[str, list[tuple[int, int]]]:
    items = data.get("pg_upmap_items")
    if not isinstance(items, list):
        return data.get("upmaps", {})  # type: ignore[no-any-return]
    return {str(e["pgid"]): [(int(m["from"]), int(m["to"])) for m in e.get("mappings", ())]
            for e in items if isinstance(e, dict) and "pgid" in e}
