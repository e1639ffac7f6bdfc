"""The answer of `pg dump pgs_brief`: every PG's state and the OSDs holding it (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import field_validator, model_validator

from ceph_tasks.ceph.models.common import CephModel

#: CRUSH_ITEM_NONE: an erasure-coded PG's up or acting set holds it where a shard has no
#: OSD (a shard CRUSH could not place, or one whose OSD is gone). It names no OSD.
NO_OSD = 0x7FFFFFFF

#: A PG id: the pool id in decimal, a dot, the PG's number in hex ("2.1f").
_PGID = re.compile(r"^(\d+)\.[0-9a-f]+$")


class PgBrief(CephModel):
    """One PG: its id, state, and the OSDs CRUSH maps it to (up) and that serve it (acting)."""

    pgid: str
    state: str = ""
    up: tuple[int, ...] = ()
    up_primary: int = -1
    acting: tuple[int, ...] = ()
    acting_primary: int = -1

    @field_validator("pgid")
    @classmethod
    def _known_form(cls, value: str) -> str:
        if not _PGID.match(value):
            raise ValueError(f"{value!r} is not a PG id (POOL.HEX)")
        return value

    @property
    def pool_id(self) -> int:
        """The id of the pool the PG belongs to."""
        return int(self.pgid.partition(".")[0])

    @property
    def osds(self) -> frozenset[int]:
        """Every OSD in the up or the acting set: each holds a copy now or is to get one."""
        return frozenset(o for o in (*self.up, *self.acting) if 0 <= o < NO_OSD)


class PgDump(CephModel):
    """Every PG of the cluster, as `pg dump pgs_brief` lists them."""

    pg_ready: bool = True
    pg_stats: tuple[PgBrief, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        # Releases before Nautilus print the pg_stats array alone; later ones wrap it in an
        # object with pg_ready, as `pg stat` does.
        return {"pg_stats": data} if isinstance(data, list) else data

    def with_copies_on(self, osd_ids: Iterable[int]) -> tuple[PgBrief, ...]:
        """The PGs with a copy (up or acting) on any of these OSDs, each once."""
        wanted = frozenset(osd_ids)
        return tuple(pg for pg in self.pg_stats if pg.osds & wanted)

    def on_osd(self, osd_id: int) -> tuple[PgBrief, ...]:
        """The PGs with a copy (up or acting) on one OSD."""
        return self.with_copies_on((osd_id,))
