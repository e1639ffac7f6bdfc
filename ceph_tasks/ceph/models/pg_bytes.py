"""The bytes each PG stores, from `pg dump pgs` (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from ceph_tasks.ceph.models.common import CephModel, pg_stats


class PgBytes(CephModel):
    """Every PG's stored bytes (its stat_sum.num_bytes), by PG id."""

    sizes: dict[str, int]

    @model_validator(mode="before")
    @classmethod
    def _from_stats(cls, data: Any) -> Any:
        stats = None if isinstance(data, dict) and "sizes" in data else pg_stats(data)
        if stats is None:
            return data
        return {"sizes": {pg["pgid"]: pg.get("stat_sum", {}).get("num_bytes", 0)
                          for pg in stats}}

    def of(self, pgid: str) -> int:
        """A PG's bytes; 0 for a PG the dump does not list (new, or created since)."""
        return self.sizes.get(pgid, 0)
