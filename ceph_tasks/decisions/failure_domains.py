"""Whether every pool keeps enough failure domains once some OSDs are gone (pure).

A pool of size N whose CRUSH rule spreads copies over buckets of type T (`chooseleaf_firstn 0
type host`) needs N buckets of type T under the rule's root, each holding at least one OSD
that can take data: CRUSH weight above 0 and not marked out. With fewer, CRUSH cannot place
every copy and PGs stay undersized (degraded) for good: a removal that leads there is
refused. Erasure-coded pools are the same with N = k+m: each chunk needs its own domain.

pool_domains reports, for every pool and every choose step of its rule, the domains before
and after a removal against the number needed; removal_shortfalls is the part of it that
refuses.

Rules with several choose steps (`choose_firstn 0 type rack`, then `chooseleaf_firstn 1 type
host`) are checked level by level: enough racks, and enough hosts in all. That is necessary,
not sufficient (the hosts could sit in too few racks); CRUSH rule semantics:
https://docs.ceph.com/en/pacific/rados/operations/crush-map-edits/#crush-map-rules
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ceph_tasks.ceph.models import CrushRule, OsdTree, Pool, TreeNode
from ceph_tasks.ceph.models.pools import ERASURE

#: `take default~hdd` names a device-class shadow of the root `default`.
CLASS_SEPARATOR = "~"


@dataclass(frozen=True)
class Shortfall:
    """A pool that would have fewer failure domains than copies to place."""

    pool: str
    size: int
    rule: str
    domain_type: str
    root: str
    needed: int
    #: The domains that would still hold an OSD able to take data, by name.
    left: tuple[str, ...]
    erasure: bool = False

    def describe(self) -> str:
        """One line naming the pool, its size, the rule, the domain type and what is left."""
        kind = "erasure-coded pool" if self.erasure else "pool"
        names = f" ({', '.join(self.left)})" if self.left else ""
        return (f"{kind} {self.pool} (size {self.size}) needs {self.needed} {self.domain_type} "
                f"failure domains under root {self.root} by CRUSH rule {self.rule}, but only "
                f"{len(self.left)} {self.domain_type} would be left{names}")


@dataclass(frozen=True)
class DomainLevel:
    """One choose step of a pool's rule: its domain type, what it needs, before and after."""

    domain_type: str
    #: The rule's root, with its device class: "default" or "default~ssd".
    root: str
    needed: int
    #: The domains able to take data now, and once the removed OSDs are gone, by name.
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def short(self) -> int:
        """How many domains the level would lack after the removal (0 when enough)."""
        return max(self.needed - len(self.after), 0)

    def describe(self) -> str:
        """The level as "racks 4 -> 3: ok" or "racks 3 -> 2: short of 1 (needs 3)"."""
        counts = f"{plural(self.domain_type)} {len(self.before)} -> {len(self.after)}"
        if not self.short:
            return f"{counts}: ok"
        return f"{counts}: short of {self.short} (needs {self.needed})"


@dataclass(frozen=True)
class PoolDomains:
    """A pool's failure domains before and after a removal, level by level of its rule."""

    pool: str
    pool_id: int
    #: The rule's name, or "#N (missing)" when the pool names a rule the dump lacks.
    rule: str
    #: Copies (replicated) or k+m chunks (erasure-coded): what the rule must place.
    size: int
    erasure: bool
    levels: tuple[DomainLevel, ...]

    @property
    def ok(self) -> bool:
        """True when every level keeps as many domains as the pool needs."""
        return all(not level.short for level in self.levels)

    @property
    def changed(self) -> bool:
        """True when the removal takes a failure domain away at some level."""
        return any(level.before != level.after for level in self.levels)

    def shortfalls(self) -> tuple[Shortfall, ...]:
        """Each level left short, as the guards word it."""
        return tuple(Shortfall(self.pool, self.size, self.rule, level.domain_type, level.root,
                               level.needed, level.after, self.erasure)
                     for level in self.levels if level.short)

    def describe(self) -> str:
        """Every level as "racks 4 -> 3: ok", joined by "; "."""
        return "; ".join(level.describe() for level in self.levels)


def plural(domain_type: str) -> str:
    """A CRUSH type in the plural: hosts, racks, OSDs."""
    return "OSDs" if domain_type == "osd" else f"{domain_type}s"


@dataclass(frozen=True)
class _Choose:
    num: int
    domain_type: str


@dataclass(frozen=True)
class _Block:
    """One take ... emit part of a rule."""

    root: str
    device_class: str | None
    chooses: tuple[_Choose, ...]


def pool_domains(tree: OsdTree, pools: Iterable[Pool], rules: Iterable[CrushRule],
                 removed: Iterable[int] = (), added: Iterable[int] = ()
                 ) -> tuple[PoolDomains, ...]:
    """Every pool's failure domains before and after a change, by name.

    Before counts the tree without the added OSDs (new ones, in the tree as they will be);
    after counts it without the removed ones.
    """
    gone, new = frozenset(removed), frozenset(added)
    by_id = {rule.rule_id: rule for rule in rules}
    report: list[PoolDomains] = []
    for pool in sorted(pools, key=lambda p: p.pool_name):
        erasure = pool.type == ERASURE
        rule = by_id.get(pool.crush_rule)
        if rule is None:
            # A pool naming a rule the dump lacks: nothing can be proven, so it counts as short.
            unknown = DomainLevel("?", "?", pool.size, (), ())
            report.append(PoolDomains(pool.pool_name, pool.pool_id,
                                      f"#{pool.crush_rule} (missing)", pool.size, erasure,
                                      (unknown,)))
            continue
        report.append(PoolDomains(pool.pool_name, pool.pool_id, rule.rule_name, pool.size,
                                  erasure, _levels(tree, pool.size, rule, new, gone)))
    return tuple(report)


def removal_shortfalls(tree: OsdTree, pools: Iterable[Pool], rules: Iterable[CrushRule],
                       removed: Iterable[int]) -> tuple[Shortfall, ...]:
    """Every pool that would lack failure domains once the removed OSDs are gone."""
    return tuple(s for pool in pool_domains(tree, pools, rules, removed)
                 for s in pool.shortfalls())


def domains_left(tree: OsdTree, root: str, domain_type: str, removed: Iterable[int] = (),
                 device_class: str | None = None) -> tuple[str, ...]:
    """Buckets of domain_type under root holding an OSD able to take data, by name."""
    gone = frozenset(removed)
    by_id = {n.id: n for n in tree.nodes}
    top = next((n for n in tree.nodes if n.name == root and not n.is_osd), None)
    if top is None:
        return ()
    left: list[str] = []
    for node in _below(top, by_id):
        if node.type != domain_type:
            continue
        usable = (node,) if node.is_osd else tuple(
            n for n in _below(node, by_id) if n.is_osd)
        if any(_takes_data(osd, gone, device_class) for osd in usable):
            left.append(node.name)
    return tuple(sorted(left))


def rule_reaches(tree: OsdTree, rule: CrushRule, osds: Iterable[int]) -> bool:
    """Whether a rule can place data on any of these OSDs: under its root, of its class."""
    wanted = frozenset(osds)
    by_id = {n.id: n for n in tree.nodes}
    for block in _blocks(rule):
        top = next((n for n in tree.nodes if n.name == block.root and not n.is_osd), None)
        if top is not None and any(
                n.id in wanted and _takes_data(n, frozenset(), block.device_class)
                for n in _below(top, by_id) if n.is_osd):
            return True
    return False


def domains_touched(tree: OsdTree, rule: CrushRule, osds: Iterable[int]) -> int:
    """The most failure domains, at any choose level of a rule, holding some of these OSDs.

    A PG has at most one copy in each domain of a level: OSDs down in n domains of a level
    take at most n copies of any PG placed by that rule.
    """
    down = frozenset(osds)
    most = 0
    for block in _blocks(rule):
        usable = frozenset(n.id for n in tree.osds() if n.id in down and (
            block.device_class is None or n.device_class == block.device_class))
        for choose in block.chooses:
            if choose.domain_type == "osd":
                most = max(most, len(usable))
                continue
            most = max(most, sum(1 for members in tree.buckets(choose.domain_type).values()
                                 if members & usable))
    return most


def _levels(tree: OsdTree, size: int, rule: CrushRule, before_gone: frozenset[int],
            after_gone: frozenset[int]) -> tuple[DomainLevel, ...]:
    levels: list[DomainLevel] = []
    copies_left = size
    for block in _blocks(rule):
        if copies_left <= 0:
            break
        placed = 1
        root = block.root + (f"{CLASS_SEPARATOR}{block.device_class}"
                             if block.device_class else "")
        for choose in block.chooses:
            # num 0 means "as many as the pool needs", negative "that many fewer".
            per_item = choose.num if choose.num > 0 else copies_left + choose.num
            placed *= max(per_item, 0)
            levels.append(DomainLevel(
                choose.domain_type, root, min(placed, copies_left),
                domains_left(tree, block.root, choose.domain_type, before_gone,
                             block.device_class),
                domains_left(tree, block.root, choose.domain_type, after_gone,
                             block.device_class)))
        copies_left -= min(placed, copies_left) if block.chooses else 0
    return tuple(levels)


def _blocks(rule: CrushRule) -> list[_Block]:
    blocks: list[_Block] = []
    root: str | None = None
    chooses: list[_Choose] = []
    for s in rule.steps:
        if s.op == "take":
            root, chooses = s.item_name or "", []
        elif s.op.startswith("choose") and s.type is not None and root is not None:
            chooses.append(_Choose(s.num or 0, s.type))
        elif s.op == "emit" and root is not None:
            name, _, device_class = root.partition(CLASS_SEPARATOR)
            blocks.append(_Block(name, device_class or None, tuple(chooses)))
            root, chooses = None, []
    return blocks


def _takes_data(osd: TreeNode, gone: frozenset[int], device_class: str | None) -> bool:
    # Out OSDs (reweight 0) and weight-0 OSDs get no PGs; destroyed ones have no store.
    return (osd.id not in gone and (osd.crush_weight or 0.0) > 0
            and osd.reweight != 0 and osd.status != "destroyed"
            and (device_class is None or osd.device_class == device_class))


def _below(node: TreeNode, by_id: dict[int, TreeNode]) -> list[TreeNode]:
    """The node and everything under it (each once)."""
    found: list[TreeNode] = []
    seen: set[int] = set()
    pending = [node.id]
    while pending:
        current = pending.pop()
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        found.append(by_id[current])
        pending.extend(by_id[current].children)
    return found
