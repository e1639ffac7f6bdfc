"""What a maintenance does to each pool it touches (pure): failure domains and data to move.

A removal touches the pools with PGs on the OSDs it drains (from the PG map) and those
whose failure domains it changes. Per pool it moves every PG with a copy on those OSDs
(counted once, however many copies they hold) and the bytes of those OSDs (`osd df`'s
kb_used), shared out among the pools by their PGs on each OSD: `osd df` has no per-pool
figure, so a pool's bytes are an estimate while their sum is the plan's total.

An addition touches the pools whose CRUSH rule can place data on the new host: under the
rule's root, of the rule's device class.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ceph_tasks.ceph.models import OsdTree, TreeNode
from ceph_tasks.decisions.failure_domains import PoolDomains, pool_domains, rule_reaches
from workflows.state import ClusterState

#: Where Ceph puts a new OSD whose host has no CRUSH location of its own (root=default).
DEFAULT_ROOT = "default"


@dataclass(frozen=True)
class PoolImpact:
    """One pool a maintenance touches: its failure domains before and after, and what moves."""

    domains: PoolDomains
    #: PGs with a copy on the OSDs drained; None when not known (no PG map, data moving in).
    pgs_to_move: int | None = None
    #: The drained OSDs' bytes that are this pool's (an estimate: see the module); None as above.
    bytes_to_move: int | None = None

    @property
    def pool(self) -> str:
        """The pool's name."""
        return self.domains.pool

    @property
    def ok(self) -> bool:
        """True when the pool keeps enough failure domains at every level of its rule."""
        return self.domains.ok

    def describe(self) -> str:
        """One line: pool, rule, size, domains before -> after, and what moves."""
        d = self.domains
        size = f"erasure-coded, k+m {d.size}" if d.erasure else f"size {d.size}"
        line = f"pool {d.pool} (rule {d.rule}, {size}): {d.describe()}"
        if self.pgs_to_move is not None:
            # A pool's bytes are its share of the drained OSDs' use: an estimate.
            pgs = f"{self.pgs_to_move} PG{'' if self.pgs_to_move == 1 else 's'}"
            line += f"; {pgs}, ~{human_size(self.bytes_to_move or 0)} to move"
        return line

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d = self.domains
        return {
            "pool": d.pool, "pool_id": d.pool_id, "rule": d.rule, "size": d.size,
            "erasure": d.erasure, "ok": d.ok,
            "levels": [{"domain_type": level.domain_type, "root": level.root,
                        "needed": level.needed, "before": len(level.before),
                        "after": len(level.after), "short": level.short,
                        "before_names": list(level.before), "after_names": list(level.after)}
                       for level in d.levels],
            "pgs_to_move": self.pgs_to_move, "bytes_to_move": self.bytes_to_move,
        }


def removal_impact(state: ClusterState, osds: Iterable[int]) -> tuple[PoolImpact, ...]:
    """The pools touched by draining and removing these OSDs, by name."""
    removed = tuple(sorted(set(osds)))
    report = pool_domains(state.tree, state.pools, state.rules, removed)
    if state.pgs is None:
        return tuple(PoolImpact(p) for p in report if p.changed)
    moving = state.pgs.with_copies_on(removed)
    pgs = Counter(pg.pool_id for pg in moving)
    shares = _bytes_by_pool(state, removed)
    return tuple(PoolImpact(p, pgs[p.pool_id], shares.get(p.pool_id, 0))
                 for p in report if p.changed or pgs[p.pool_id])


def worst_of(batches: Iterable[tuple[PoolImpact, ...]],
             moved: tuple[PoolImpact, ...]) -> tuple[PoolImpact, ...]:
    """What moves from moved, with each pool's domains as the batch leaving fewest has them.

    For maintenances done in batches: each batch takes its domains away and brings them
    back, so the worst batch is what a pool must survive, while every batch moves data.
    """
    worst: dict[str, PoolDomains] = {}
    for impact in (i for batch in batches for i in batch):
        known = worst.get(impact.pool)
        if known is None or _after(impact.domains) < _after(known):
            worst[impact.pool] = impact.domains
    return tuple(replace(i, domains=worst.get(i.pool, i.domains)) for i in moved)


def addition_impact(state: ClusterState, host: str, rack: str | None = None,
                    device_classes: Iterable[str] = ()) -> tuple[PoolImpact, ...]:
    """The pools whose rules can place data on a host about to get new OSDs (joined()),
    by name."""
    tree, new = joined(state.tree, host, rack, device_classes)
    report = pool_domains(tree, state.pools, state.rules, added=new)
    by_id = {rule.rule_id: rule for rule in state.rules}
    reached = {p.pool_name for p in state.pools
               if p.crush_rule in by_id and rule_reaches(tree, by_id[p.crush_rule], new)}
    return tuple(PoolImpact(p) for p in report if p.pool in reached)


def joined(tree: OsdTree, host: str, rack: str | None = None,
           device_classes: Iterable[str] = ()) -> tuple[OsdTree, tuple[int, ...]]:
    """The tree once a host's new OSDs are in it where landing() says, and their ids.

    Without device classes (none known yet), one new OSD of each class the cluster uses
    stands for them.
    """
    classes = tuple(sorted(set(device_classes))) or _classes(tree)
    return with_new_osds(tree, host, landing(tree, host, rack), classes)


def landing(tree: OsdTree, host: str, rack: str | None = None) -> str:
    """The CRUSH bucket a host's bucket sits under, or is expected under once it has OSDs.

    Where CRUSH has no bucket for the host yet: under the bucket named as its rack when
    CRUSH has a rack of that name, else under the root `default`, where Ceph puts a host
    without a CRUSH location of its own.
    """
    by_id = {n.id: n for n in tree.nodes}
    for node in tree.nodes:
        if any(c in by_id and by_id[c].name == host and by_id[c].type == "host"
               for c in node.children):
            return node.name
    if rack and any(n.name == rack and n.type == "rack" for n in tree.nodes):
        return rack
    return DEFAULT_ROOT


def with_new_osds(tree: OsdTree, host: str, parent: str,
                  device_classes: Sequence[str]) -> tuple[OsdTree, tuple[int, ...]]:
    """The tree with one new OSD per device class in the host's bucket, and their ids.

    The bucket is made under parent when the tree lacks it. New OSDs are up, in, at weight 1:
    as they will be once the maintenance raised them.
    """
    first = max((n.id for n in tree.nodes if n.is_osd), default=-1) + 1
    new_ids = tuple(range(first, first + len(device_classes)))
    osds = [TreeNode(id=i, name=f"osd.{i}", type="osd", crush_weight=1.0, reweight=1.0,
                     status="up", device_class=c) for i, c in zip(new_ids, device_classes,
                                                                  strict=True)]
    nodes = list(tree.nodes)
    bucket = next((n for n in nodes if n.name == host and n.type == "host"), None)
    if bucket is None:
        bucket = TreeNode(id=min((n.id for n in nodes), default=0) - 1, name=host, type="host")
        nodes = [n.model_copy(update={"children": (*n.children, bucket.id)})
                 if n.name == parent and not n.is_osd else n for n in nodes]
        nodes.append(bucket)
    nodes = [n.model_copy(update={"children": (*n.children, *new_ids)}) if n.id == bucket.id
             else n for n in nodes]
    return tree.model_copy(update={"nodes": (*nodes, *osds)}), new_ids


def human_size(count: int) -> str:
    """Bytes in binary units, one decimal: 3.1 MiB."""
    if count < 1024:
        return f"{count} B"
    value = count / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _bytes_by_pool(state: ClusterState, removed: tuple[int, ...]) -> dict[int, int]:
    if state.pgs is None:
        return {}
    shares: Counter[int] = Counter()
    for osd in removed:
        usage = state.df.osd(osd)
        held = Counter(pg.pool_id for pg in state.pgs.on_osd(osd))
        total = sum(held.values())
        if usage is None or not total:
            continue  # an OSD holding no PG: its bytes belong to no pool
        used = usage.kb_used * 1024
        for pool_id, count in held.items():
            shares[pool_id] += used * count // total
        # What integer division left over goes to the pool with the most PGs there, so that
        # the pools' bytes add up to the OSDs' own.
        most = min(held, key=lambda p: (-held[p], p))
        shares[most] += used - sum(used * c // total for c in held.values())
    return dict(shares)


def _after(domains: PoolDomains) -> int:
    return sum(len(level.after) for level in domains.levels)


def _classes(tree: OsdTree) -> tuple[str, ...]:
    found = {n.device_class for n in tree.osds() if n.device_class}
    # A tree without classes has no class rules either: any one class stands for all.
    return tuple(sorted(found)) or ("hdd",)
