"""How full each OSD would be after a weight change, and whether that is too full (pure).

The projection starts from what every OSD uses now (`osd df` kb_used) and moves PGs'
bytes as the placements before and after the change say (both from osdmaptool, so they
honour the cluster's reweights and upmaps): an OSD a PG leaves gives up one copy's bytes,
an OSD it arrives on takes them. A copy of a replicated pool's PG holds the PG's bytes; a
shard of an erasure-coded pool's PG holds a k-th of them.

A change is refused when it pushes an OSD past the cluster's nearfull ratio less a margin
(in percentage points): the OSD gets data from the change and ends above that limit. An
OSD above it already that the change gives nothing to does not refuse a plan; the drain's
own hold (ceph_tasks.decisions.fullness_hold) watches it while data moves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ceph_tasks.ceph.models import OsdDf, PgBytes, Pool
from ceph_tasks.ceph.models.pg_mapping import PgMapping
from ceph_tasks.ceph.models.pools import ERASURE

#: How many of the fullest OSDs a plan shows, before and after.
FULLEST_SHOWN = 3


@dataclass(frozen=True)
class OsdFullness:
    """One OSD's capacity and its use now and as projected after the change, in bytes."""

    osd: int
    size: int
    used_now: int
    used_after: int
    #: Bytes arriving from the change, by pool id.
    incoming: Mapping[int, int] = field(default_factory=dict)

    @property
    def now(self) -> float:
        """Used fraction now."""
        return self.used_now / self.size

    @property
    def after(self) -> float:
        """Used fraction after the change."""
        return self.used_after / self.size


@dataclass(frozen=True)
class CapacityProjection:
    """Every OSD's fullness now and after a change of CRUSH weights."""

    #: The CRUSH weights the change sets, by OSD id.
    weights: Mapping[int, float]
    osds: tuple[OsdFullness, ...]
    pool_names: Mapping[int, str]
    #: The cluster's nearfull ratio (`osd dump`); None when the cluster did not say.
    nearfull_ratio: float | None

    def fullest(self, count: int = FULLEST_SHOWN, *, after: bool) -> tuple[OsdFullness, ...]:
        """The count fullest OSDs, now or after the change (ties by OSD id)."""
        key = (lambda o: (-o.after, o.osd)) if after else (lambda o: (-o.now, o.osd))
        return tuple(sorted(self.osds, key=key)[:count])

    def osd(self, osd_id: int) -> OsdFullness | None:
        """One OSD's projection."""
        return next((o for o in self.osds if o.osd == osd_id), None)

    def describe(self) -> list[str]:
        """Lines for a plan: the fullest OSDs now and after the change."""
        def listed(osds: tuple[OsdFullness, ...], after: bool) -> str:
            return ", ".join(f"osd.{o.osd} {percent(o.after if after else o.now)}"
                             for o in osds)
        near = (f" (nearfull ratio {percent(self.nearfull_ratio)})"
                if self.nearfull_ratio is not None else "")
        return [f"fullest OSDs now: {listed(self.fullest(after=False), False)}{near}",
                f"fullest OSDs after: {listed(self.fullest(after=True), True)} (projected)"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the fullest OSDs now and after, as fractions."""
        def rows(osds: tuple[OsdFullness, ...]) -> list[dict[str, Any]]:
            return [{"osd": o.osd, "now": round(o.now, 4), "after": round(o.after, 4)}
                    for o in osds]
        return {"nearfull_ratio": self.nearfull_ratio,
                "fullest_now": rows(self.fullest(after=False)),
                "fullest_after": rows(self.fullest(after=True))}


def percent(fraction: float) -> str:
    """A fraction as a percentage with one decimal: 0.8312 -> "83.1%"."""
    return f"{fraction * 100:.1f}%"


def copy_divisors(pools: tuple[Pool, ...], data_chunks: Mapping[str, int]) -> dict[int, int]:
    """By pool id, what a PG's bytes are divided by for one copy: 1, or an EC pool's k.

    data_chunks gives k by erasure-code profile name; an EC pool whose profile is not
    known counts whole PGs per shard, which overstates its shards: the safe side.
    """
    return {p.pool_id: max(1, data_chunks.get(p.erasure_code_profile, 1))
            if p.type == ERASURE else 1 for p in pools}


def project(df: OsdDf, before: PgMapping, after: PgMapping, sizes: PgBytes,
            pools: tuple[Pool, ...], weights: Mapping[int, float], *,
            divisors: Mapping[int, int] | None = None,
            nearfull_ratio: float | None = None) -> CapacityProjection:
    """Each OSD's use after the PGs move from before to after (OSDs of size 0 left out)."""
    split = divisors or {}
    delta: dict[int, int] = defaultdict(int)
    incoming: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for pgid in sorted(set(before.osds) | set(after.osds)):
        pool_id = int(pgid.partition(".")[0])
        copy = sizes.of(pgid) // split.get(pool_id, 1)
        was, will = before.placed(pgid), after.placed(pgid)
        for osd in was - will:
            delta[osd] -= copy
        for osd in will - was:
            delta[osd] += copy
            incoming[osd][pool_id] += copy
    osds = tuple(
        OsdFullness(osd=u.id, size=u.kb * 1024, used_now=u.kb_used * 1024,
                    used_after=max(0, u.kb_used * 1024 + delta[u.id]),
                    incoming=dict(incoming.get(u.id, {})))
        for u in sorted(df.nodes, key=lambda n: n.id) if u.kb > 0)
    return CapacityProjection(weights=dict(weights), osds=osds,
                              pool_names={p.pool_id: p.pool_name for p in pools},
                              nearfull_ratio=nearfull_ratio)


def capacity_problems(projection: CapacityProjection, margin_points: float) -> list[str]:
    """One line per OSD the change would push past nearfull less the margin; none if safe.

    Without a nearfull ratio from the cluster there is nothing to compare with: one line
    saying so, since a guard that cannot look must not pass silently.
    """
    near = projection.nearfull_ratio
    if near is None:
        return ["the cluster's nearfull ratio is unknown (osd dump did not show it): "
                "cannot check where the data would go"]
    limit = near - margin_points / 100
    problems = []
    for osd in projection.fullest(len(projection.osds), after=True):
        if osd.after <= limit or not osd.incoming:
            continue
        pool_id = min(osd.incoming, key=lambda p: (-osd.incoming[p], p))
        name = projection.pool_names.get(pool_id, f"id {pool_id}")
        problems.append(
            f"osd.{osd.osd} would be {percent(osd.after)} full (now {percent(osd.now)}), past "
            f"{percent(limit)} (nearfull ratio {percent(near)} less a {margin_points:g}-point "
            f"margin); most of what it gets is from pool {name} "
            f"(+{osd.incoming[pool_id] / 2**20:.1f} MiB)")
    return problems
