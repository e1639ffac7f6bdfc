"""The objects each PG holds and has recovered, from `pg dump pgs` (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel


class PgObjectCount(CephModel):
    """One PG: its objects, the objects it has recovered so far, and its acting OSDs."""

    objects: int = Field(ge=0)
    #: Cumulative in the PG's statistics: a difference of two readings is what recovery
    #: copied in between (stat_sum.num_objects_recovered).
    recovered: int = Field(ge=0)
    acting: tuple[int, ...] = ()


class PgObjects(CephModel):
    """Every PG's object counts, by PG id."""

    pgs: dict[str, PgObjectCount]

    @model_validator(mode="before")
    @classmethod
    def _from_stats(cls, data: Any) -> Any:
        # `pg dump pgs` prints {"pg_ready": ..., "pg_stats": [...]}; older releases a bare list.
        if isinstance(data, dict) and "pgs" in data:
            return data
        stats = data.get("pg_stats", []) if isinstance(data, dict) else data
        if not isinstance(stats, list):
            return data
        return {"pgs": {
            pg["pgid"]: {"objects": pg.get("stat_sum", {}).get("num_objects", 0),
                         "recovered": pg.get("stat_sum", {}).get("num_objects_recovered", 0),
                         # EC PGs name a missing shard 2147483647 (CRUSH_ITEM_NONE).
                         "acting": [o for o in pg.get("acting", []) if 0 <= o < 2**31 - 1]}
            for pg in stats if isinstance(pg, dict) and "pgid" in pg}}

    def copies_on(self, osd_ids: Iterable[int]) -> int:
        """Object copies (replicas or EC shards) these OSDs hold as acting members."""
        wanted = frozenset(osd_ids)
        return sum(pg.objects * len(wanted.intersection(pg.acting)) for pg in self.pgs.values())

    def recovered(self) -> int:
        """Objects recovered by every PG so far (compare two readings)."""
        return sum(pg.recovered for pg in self.pgs.values())
