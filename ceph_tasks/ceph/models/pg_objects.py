"""The objects each PG holds and has recovered, and its last deep scrub, from `pg dump pgs`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel, pg_stats


class PgObjectCount(CephModel):
    """One PG: its objects, the objects it has recovered so far, and its acting OSDs."""

    objects: int = Field(ge=0)
    #: Cumulative in the PG's statistics: a difference of two readings is what recovery
    #: copied in between (stat_sum.num_objects_recovered).
    recovered: int = Field(ge=0)
    #: The bytes of those objects (stat_sum.num_bytes_recovered), cumulative the same way.
    bytes_recovered: int = Field(default=0, ge=0)
    acting: tuple[int, ...] = ()
    #: The OSD serving the PG (-1 when none): the one that runs its scrubs.
    primary: int = -1
    #: When the PG was last deep-scrubbed, as its primary wrote it: compared only with an
    #: earlier reading of the same PG, never with a clock.
    last_deep_scrub: str = ""


class PgObjects(CephModel):
    """Every PG's object counts, by PG id."""

    pgs: dict[str, PgObjectCount]

    @model_validator(mode="before")
    @classmethod
    def _from_stats(cls, data: Any) -> Any:
        stats = None if isinstance(data, dict) and "pgs" in data else pg_stats(data)
        if stats is None:
            return data
        return {"pgs": {
            pg["pgid"]: {"objects": pg.get("stat_sum", {}).get("num_objects", 0),
                         "recovered": pg.get("stat_sum", {}).get("num_objects_recovered", 0),
                         "bytes_recovered": pg.get("stat_sum", {}).get("num_bytes_recovered",
                                                                       0),
                         # EC PGs name a missing shard 2147483647 (CRUSH_ITEM_NONE).
                         "acting": [o for o in pg.get("acting", []) if 0 <= o < 2**31 - 1],
                         "primary": pg.get("acting_primary", -1),
                         "last_deep_scrub": str(pg.get("last_deep_scrub_stamp", ""))}
            for pg in stats}}

    def copies_on(self, osd_ids: Iterable[int]) -> int:
        """Object copies (replicas or EC shards) these OSDs hold as acting members."""
        wanted = frozenset(osd_ids)
        return sum(pg.objects * len(wanted.intersection(pg.acting)) for pg in self.pgs.values())

    def on_osds(self, osd_ids: Iterable[int]) -> dict[str, str]:
        """The PGs with a copy on these OSDs, each with its last deep scrub's stamp."""
        wanted = frozenset(osd_ids)
        return {pgid: pg.last_deep_scrub for pgid, pg in sorted(self.pgs.items())
                if wanted.intersection(pg.acting)}

    def primaries(self, pgids: Iterable[str]) -> dict[str, int]:
        """The acting primary of each of these PGs that exists."""
        return {pgid: self.pgs[pgid].primary for pgid in pgids if pgid in self.pgs}

    def recovered(self) -> int:
        """Objects recovered by every PG so far (compare two readings)."""
        return sum(pg.recovered for pg in self.pgs.values())

    def recovered_bytes(self) -> int:
        """Bytes recovered by every PG so far (compare two readings)."""
        return sum(pg.bytes_recovered for pg in self.pgs.values())
