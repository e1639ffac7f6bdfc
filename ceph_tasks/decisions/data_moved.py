"""How much data a maintenance has moved so far, from Ceph's own recovery counters (pure).

Every PG counts the objects and bytes recovery and backfill copied into it
(stat_sum.num_objects_recovered, num_bytes_recovered). Their sums at the maintenance's first
movement are kept; what they have grown by since is what moved. The counters are the
cluster's: recovery that something else caused meanwhile (a failed disk) counts too, and
a PG that went away takes its count with it (never below zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ceph_tasks.ceph.models.pg_objects import PgObjects

#: The ledger key of the counters' sums at the maintenance's first look.
BASE_KEY = "data-moved-base"
#: The ledger key of what moved since, as last seen (for list, the page and /metrics).
MOVED_KEY = "data-moved"


@dataclass(frozen=True)
class Moved:
    """Object copies and bytes recovery and backfill wrote since the base."""

    objects: int
    bytes: int

    def to_json(self) -> dict[str, int]:
        """The ledger form."""
        return {"objects": self.objects, "bytes": self.bytes}


def counters(pgs: PgObjects) -> dict[str, int]:
    """The cluster's recovery counters now: the base a maintenance keeps."""
    return {"objects": pgs.recovered(), "bytes": pgs.recovered_bytes()}


def moved_since(base: Mapping[str, Any], pgs: PgObjects) -> Moved:
    """What moved since base was read."""
    return Moved(objects=max(pgs.recovered() - int(base.get("objects", 0)), 0),
                 bytes=max(pgs.recovered_bytes() - int(base.get("bytes", 0)), 0))
