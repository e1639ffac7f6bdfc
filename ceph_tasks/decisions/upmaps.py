"""Moving each copy once with `pg-upmap-items` (pure): pins that hold data, moves off a host.

Two techniques operators trust, in our own terms:
- Pin what CRUSH remapped: after a weight change made under `norebalance`, every PG whose
  up set differs from its acting set gets upmap items that map CRUSH's choice back onto
  the OSDs holding its data; nothing moves (CERN's upmap-remapped).
- Move off a host directly: each PG with a copy on a leaving OSD gets an item sending that
  copy to an OSD of the new host (or, where the PG already has a copy on the new host, to
  the least loaded OSD of a failure domain it does not use), a batch at a time
  (DigitalOcean's pgremapper drain). Each copy moves once, from the old OSD to its last home.

An upmap item maps one OSD of CRUSH's raw choice to another; the monitors apply a PG's
items in order, and `osd pg-upmap-items PGID A B C D` replaces the PG's whole list. The
monitors drop items whose target has no CRUSH weight (seen on the sandbox), so pins only
ever point at OSDs with weight. https://docs.ceph.com/en/latest/rados/operations/upmap/
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ceph_tasks.ceph.models import CrushRule, OsdTree, Pool
from ceph_tasks.ceph.models.pg_dump import NO_OSD, PgBrief, PgDump
from ceph_tasks.ceph.models.pools import ERASURE
from ceph_tasks.decisions.change import Change
from ceph_tasks.decisions.failure_domains import rule_reaches

#: The ledger key prefix of a PG's upmap items as they were before a maintenance changed them.
LEDGER_PREFIX = "upmap"

Items = tuple[tuple[int, int], ...]


#: Ceph's releases, oldest first, as `features` and `require_min_compat_client` name them.
RELEASES = ("argonaut", "bobtail", "cuttlefish", "dumpling", "emperor", "firefly", "giant",
            "hammer", "infernalis", "jewel", "kraken", "luminous", "mimic", "nautilus",
            "octopus", "pacific", "quincy", "reef", "squid", "tentacle")
#: The first release whose clients understand upmap items.
UPMAP_RELEASE = "luminous"


@dataclass(frozen=True)
class UpmapReadiness:
    """What decides whether upmap items may be used: the admitted and the connected clients."""

    require_min_compat_client: str
    #: The release of every group of clients connected now (`features`).
    client_releases: tuple[str, ...]

    def problems(self) -> list[str]:
        """Why upmap items cannot be used here, one line each; none when they can."""
        problems = []
        if not _at_least(self.require_min_compat_client, UPMAP_RELEASE):
            problems.append(
                f"require_min_compat_client is {self.require_min_compat_client or 'unset'}: "
                f"upmap items need {UPMAP_RELEASE} (ceph osd set-require-min-compat-client "
                f"{UPMAP_RELEASE}, once every client is that new)")
        old = sorted({r for r in self.client_releases if not _at_least(r, UPMAP_RELEASE)})
        if old:
            problems.append(f"clients older than {UPMAP_RELEASE} are connected "
                            f"({', '.join(old)}): they cannot read upmap items")
        return problems


def _at_least(release: str, oldest: str) -> bool:
    return release in RELEASES and RELEASES.index(release) >= RELEASES.index(oldest)


def client_releases(features: Mapping[str, object]) -> tuple[str, ...]:
    """The releases of the connected clients from `features` (its "client" groups)."""
    groups = features.get("client", ())
    if not isinstance(groups, list):
        return ()
    return tuple(str(g.get("release", "")) for g in groups if isinstance(g, dict))


def ledger_key(pgid: str) -> str:
    """The ledger key recording a PG's upmap items before the maintenance first changed them."""
    return f"{LEDGER_PREFIX}:{pgid}"


@dataclass(frozen=True)
class Pin:
    """A PG's upmap items as they are and as they are to be."""

    pgid: str
    before: Items
    after: Items

    def change(self) -> Change:
        """The command setting the PG's items (or removing them all)."""
        if not self.after:
            return Change("osd rm-pg-upmap-items", {"pgid": self.pgid},
                          f"osd rm-pg-upmap-items {self.pgid}")
        flat = [osd for pair in self.after for osd in pair]
        return Change("osd pg-upmap-items", {"pgid": self.pgid, "id": flat},
                      f"osd pg-upmap-items {self.pgid} {' '.join(map(str, flat))}")


def raw_placement(up: Sequence[int], items: Items) -> tuple[int, ...]:
    """CRUSH's own choice for a PG: its up set with its upmap items undone, last first."""
    raw = list(up)
    for source, target in reversed(items):
        if target in raw:
            raw[raw.index(target)] = source
    return tuple(raw)


def apply_items(raw: Sequence[int], items: Items, weights: Mapping[int, float]
                ) -> tuple[int, ...]:
    """The up set the monitors make of CRUSH's raw choice and a PG's items, in their order.

    An item is skipped when its target is already in the set or has no weight, as the
    monitors skip it.
    """
    up = list(raw)
    for source, target in items:
        if target in up or weights.get(target, 0.0) <= 0 or source not in up:
            continue
        up[up.index(source)] = target
    return tuple(up)


def items_between(raw: Sequence[int], wanted: Sequence[int], *, by_position: bool) -> Items:
    """The upmap items turning CRUSH's raw choice into the wanted OSDs.

    An erasure-coded PG's shards are positional: item by item where they differ. A
    replicated PG's copies are a set: the OSDs only in raw map onto those only in wanted.
    """
    if by_position:
        return _in_applicable_order(raw, [
            (r, w) for r, w in zip(raw, wanted, strict=True)
            if r != w and 0 <= r < NO_OSD and 0 <= w < NO_OSD])
    leaving = [o for o in raw if o not in wanted]
    coming = [o for o in wanted if o not in raw]
    return tuple(zip(leaving, coming, strict=False))


def _in_applicable_order(raw: Sequence[int], pairs: list[tuple[int, int]]) -> Items:
    """Shard items ordered so that each target has left the set before it is mapped to.

    The monitors skip an item whose target is still in the set: a shard moving from one
    position to another needs the item emptying its old position first. Items left in a
    cycle (two shards swapping OSDs) cannot be applied in any order and are left out:
    those positions stay where CRUSH puts them.
    """
    current, ordered, left = list(raw), [], list(pairs)
    while left:
        ready = next((p for p in left if p[1] not in current), None)
        if ready is None:
            break
        left.remove(ready)
        current[current.index(ready[0])] = ready[1]
        ordered.append(ready)
    return tuple(ordered)


@dataclass(frozen=True)
class PoolPlacement:
    """What a pool's PGs need of an OSD: erasure coding, the rule's failure domain type."""

    by_position: bool
    domain_type: str | None
    #: The OSDs the pool's rule can place data on (its root and device class).
    reachable: frozenset[int]


def placements(tree: OsdTree, pools: Iterable[Pool], rules: Iterable[CrushRule]
               ) -> dict[int, PoolPlacement]:
    """Each pool's placement needs, by pool id."""
    osds = [n.id for n in tree.osds()]
    # Once per rule, not per pool: each look walks the whole tree for every OSD.
    reach = {r.rule_id: (r.failure_domain,
                         frozenset(o for o in osds if rule_reaches(tree, r, [o])))
             for r in rules}
    return {pool.pool_id: PoolPlacement(pool.type == ERASURE,
                                        *reach.get(pool.crush_rule, (None, frozenset())))
            for pool in pools}


def pins_for_remapped(pgs: PgDump, upmaps: Mapping[str, Items], weights: Mapping[int, float],
                      pools: Mapping[int, PoolPlacement]) -> list[Pin]:
    """Items holding every remapped PG where its data is: up becomes acting.

    A copy on an OSD without CRUSH weight cannot be pinned (the monitors drop such items):
    that position is left to CRUSH, and its data moves once, to where CRUSH puts it.
    """
    pins = []
    for pg in pgs.pg_stats:
        if pg.up == pg.acting or not pg.acting:
            continue
        before = upmaps.get(pg.pgid, ())
        by_position = _by_position(pg, pools)
        if by_position:
            wanted = tuple(a if weights.get(a, 0.0) > 0 else u
                           for u, a in zip(pg.up, pg.acting, strict=False))
        else:
            wanted = _keep_weighted(pg, weights)
        after = items_between(raw_placement(pg.up, before), wanted, by_position=by_position)
        if after != before:
            pins.append(Pin(pg.pgid, before, after))
    return pins


def _keep_weighted(pg: PgBrief, weights: Mapping[int, float]) -> tuple[int, ...]:
    # A replicated PG: keep the acting copies that can be pinned, fill up from CRUSH's own.
    kept = [a for a in pg.acting if weights.get(a, 0.0) > 0]
    spare = [u for u in pg.up if u not in kept]
    return tuple(kept + spare[:max(len(pg.up) - len(kept), 0)])


def _by_position(pg: PgBrief, pools: Mapping[int, PoolPlacement]) -> bool:
    placement = pools.get(pg.pool_id)
    return placement.by_position if placement is not None else False


@dataclass(frozen=True)
class MoveBatch:
    """The next PGs to move off the leaving OSDs, and how many still have copies there."""

    pins: tuple[Pin, ...]
    #: PGs with a copy on a leaving OSD, before this batch.
    left: int
    #: Copies that could go nowhere (no OSD of weight in a failure domain the PG lacks).
    stuck: tuple[str, ...] = field(default_factory=tuple)


def next_moves(pgs: PgDump, upmaps: Mapping[str, Items], tree: OsdTree,
               pools: Mapping[int, PoolPlacement], leaving: Iterable[int],
               arriving: Iterable[int], limit: int) -> MoveBatch:
    """Up to limit PGs whose copies on the leaving OSDs go straight to the arriving ones.

    PGs are taken in id order, each copy to the arriving OSD with the fewest PGs for its
    weight that keeps the PG's failure domains apart; a PG that already has a copy in the
    arriving OSDs' domain sends it to the least loaded OSD of a domain it does not use.
    """
    gone, new = frozenset(leaving), tuple(sorted(arriving))
    weights = tree.crush_weights()
    load: dict[int, int] = {}
    for pg in pgs.pg_stats:
        for osd in pg.acting:
            load[osd] = load.get(osd, 0) + 1
    todo = [pg for pg in sorted(pgs.pg_stats, key=_pg_order) if gone & set(pg.acting)]
    pins: list[Pin] = []
    stuck: list[str] = []
    domains: dict[str | None, dict[int, str]] = {}
    for pg in todo:
        if len(pins) >= limit:
            break
        placement = pools.get(pg.pool_id, PoolPlacement(False, "host", frozenset(weights)))
        if placement.domain_type not in domains:
            domains[placement.domain_type] = _domains(tree, placement.domain_type)
        domain = domains[placement.domain_type]
        wanted = list(pg.acting)
        for i, osd in enumerate(wanted):
            if osd not in gone:
                continue
            used = {domain.get(o) for j, o in enumerate(wanted) if j != i}
            fits = [o for o in weights if weights[o] > 0 and o not in gone
                    and o not in wanted and o in placement.reachable
                    and domain.get(o) not in used]
            preferred = [o for o in fits if o in new] or fits
            if not preferred:
                stuck.append(pg.pgid)
                break
            target = min(preferred, key=lambda o: (load.get(o, 0) / weights[o], o))
            wanted[i] = target
            load[target] = load.get(target, 0) + 1
        else:
            before = upmaps.get(pg.pgid, ())
            raw = raw_placement(pg.up, before)
            pins.append(Pin(pg.pgid, before,
                            items_between(raw, wanted, by_position=placement.by_position)))
    return MoveBatch(tuple(pins), len(todo), tuple(stuck))


def _domains(tree: OsdTree, domain_type: str | None) -> dict[int, str]:
    """Each OSD's failure domain of this type (each OSD its own for "osd" or none)."""
    if domain_type in (None, "osd"):
        return {n.id: f"osd.{n.id}" for n in tree.osds()}
    return {osd: name for name, members in tree.buckets(domain_type).items()
            for osd in members}


def _pg_order(pg: PgBrief) -> tuple[int, int]:
    return _pgid_order(pg.pgid)


def _pgid_order(pgid: str) -> tuple[int, int]:
    pool, _, number = pgid.partition(".")
    return int(pool), int(number, 16)


def releases(pgs: PgDump, upmaps: Mapping[str, Items], recorded: Mapping[str, Items],
             limit: int) -> list[Pin]:
    """Up to limit PGs whose items a maintenance changed put back as they were recorded.

    Taking a pin away lets the PG go where CRUSH puts it: its data moves once, straight
    there. PGs gone since (a merge) are left out.
    """
    present = {pg.pgid for pg in pgs.pg_stats}
    pins = [Pin(pgid, upmaps.get(pgid, ()), before)
            for pgid, before in sorted(recorded.items(), key=lambda i: _pgid_order(i[0]))
            if pgid in present and upmaps.get(pgid, ()) != before]
    return pins[:limit]


def recorded_items(entries: Mapping[str, object]) -> dict[str, Items]:
    """The items each PG had before the maintenance, from its ledger entries."""
    found: dict[str, Items] = {}
    for key, value in entries.items():
        if key.startswith(f"{LEDGER_PREFIX}:") and isinstance(value, list):
            found[key.removeprefix(f"{LEDGER_PREFIX}:")] = tuple(
                (int(a), int(b)) for a, b in value)
    return found


def settled(pg: PgBrief) -> bool:
    """Whether a PG is where CRUSH and its items put it and clean (scrubbing or not)."""
    parts = set(pg.state.split("+"))
    return pg.up == pg.acting and {"active", "clean"} <= parts


def copies_on(pgs: PgDump, osds: Iterable[int]) -> int:
    """How many PGs have a copy in the acting set of any of these OSDs."""
    wanted = frozenset(osds)
    return sum(1 for pg in pgs.pg_stats if wanted & set(pg.acting))
