"""A PG map of the healthy sandbox written by hand: `pg dump pgs_brief` is not captured yet.

Once `tests/fixtures/ceph/capture.py` has captured `healthy/pg_dump_pgs_brief.json`, the
paper cluster of tests.support.lab reads that instead and this module can go.

What it agrees with, each checked by tests/unit/ceph/test_pg_map_by_hand.py:
- the pools and PG ids of the healthy capture (pool 1 with 1 PG, pool 2 with 32);
- which hosts hold each PG: the healthy capture's `osd ok-to-stop 4 5` (the PGs with a copy
  on node2) and `osd ok-to-stop 0 1 2 3` (those with both copies on node0 and node1), and the
  osd_down capture's `osd ok-to-stop 2 3` (which of them pair node1 with node0);
- the partner of every PG on osd.0: the osd_down capture's health detail (acting sets of the
  PGs left undersized while osd.0 was down);
- the number of PGs on each OSD: the healthy capture's `osd df`.

What is made up: which OSD of node1 or node2 holds the other PGs, and the order within each
set, hence the primaries.
"""

from __future__ import annotations

from typing import Any

#: PG id -> its up and acting set (the same: all PGs are active+clean), primary first.
HEALTHY_SETS: dict[str, tuple[int, int]] = {
    "1.0": (3, 4),
    "2.0": (1, 2),
    "2.1": (5, 1),
    "2.2": (3, 4),
    "2.3": (5, 2),
    "2.4": (1, 3),
    "2.5": (4, 0),
    "2.6": (0, 4),
    "2.7": (3, 0),
    "2.8": (0, 2),
    "2.9": (3, 1),
    "2.a": (3, 5),
    "2.b": (4, 3),
    "2.c": (0, 5),
    "2.d": (5, 3),
    "2.e": (1, 2),
    "2.f": (4, 0),
    "2.10": (0, 4),
    "2.11": (3, 0),
    "2.12": (1, 3),
    "2.13": (5, 2),
    "2.14": (3, 5),
    "2.15": (4, 1),
    "2.16": (3, 4),
    "2.17": (5, 1),
    "2.18": (1, 4),
    "2.19": (4, 3),
    "2.1a": (2, 5),
    "2.1b": (5, 0),
    "2.1c": (0, 2),
    "2.1d": (4, 3),
    "2.1e": (1, 3),
    "2.1f": (5, 3),
}


def healthy_pg_dump() -> dict[str, Any]:
    """The map as a Pacific cluster prints it: {"pg_ready": true, "pg_stats": [...]}."""
    return {"pg_ready": True, "pg_stats": [
        {"pgid": pgid, "state": "active+clean", "up": list(osds), "up_primary": osds[0],
         "acting": list(osds), "acting_primary": osds[0]}
        for pgid, osds in HEALTHY_SETS.items()]}
