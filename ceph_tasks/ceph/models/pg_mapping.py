"""The PG placements `osdmaptool --test-map-pgs-dump` prints (pure parser).

Its lines are "PGID<TAB>[OSD,OSD,...]<TAB>PRIMARY", one per PG, among headers ("pool 2
pg_num 32") and per-OSD totals, which are not read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ceph_tasks.ceph.models.pg_dump import NO_OSD
from ceph_tasks.errors import CephBadOutput

_PG_LINE = re.compile(r"^(\d+\.[0-9a-f]+)\t\[([0-9,]*)\]\t(-?\d+)$")


@dataclass(frozen=True)
class PgMapping:
    """Where CRUSH (with the map's reweights and upmaps) puts every PG: its OSDs, by PG id."""

    osds: Mapping[str, tuple[int, ...]]

    def placed(self, pgid: str) -> frozenset[int]:
        """The OSDs holding a copy or shard of a PG (shards CRUSH could not place left out)."""
        return frozenset(o for o in self.osds.get(pgid, ()) if 0 <= o < NO_OSD)


def parse_pg_mapping(text: str) -> PgMapping:
    """Read osdmaptool's `--test-map-pgs-dump` output; CephBadOutput if its PGs are unread."""
    found: dict[str, tuple[int, ...]] = {}
    for line in text.splitlines():
        match = _PG_LINE.match(line.strip("\r"))
        if match:
            numbers = match.group(2)
            found[match.group(1)] = tuple(int(n) for n in numbers.split(",") if n)
    if not found and "pg_num" in text:
        # Pools were listed but no placement was read: a format this parser does not know.
        raise CephBadOutput("osdmaptool --test-map-pgs-dump", 0,
                            f"no PG placement in the output: {text[:200]!r}")
    return PgMapping(found)
