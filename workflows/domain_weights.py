"""The CRUSH weight of each failure domain before and after new hardware comes in (pure).

CRUSH gives each domain a share of every pool's data in proportion to its weight. A host
replaced by one of another size changes its domain's share, and data then moves between
the other domains too, not only onto the new host: the plan says so before it starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ceph_tasks.ceph.models import OsdTree
from workflows.impact import landing

#: A domain's share may change this much (percentage points) without a warning.
SHARE_TOLERANCE = 1.0


@dataclass(frozen=True)
class DomainWeights:
    """The weight of each failure domain now and once the maintenance is done."""

    domain_type: str
    before: Mapping[str, float]
    after: Mapping[str, float]
    #: The domains the maintenance itself empties or fills (the old and new hardware's).
    changed: frozenset[str]

    def describe(self) -> list[str]:
        """One line per domain: weight and share of the total, before -> after."""
        names = sorted(set(self.before) | set(self.after))
        return [f"capacity of {self.domain_type} {name}: "
                f"{_weight(self.before, name)} -> {_weight(self.after, name)}"
                for name in names]

    def warning(self) -> str | None:
        """What moves between the domains the maintenance does not touch (None: nothing)."""
        shifted = [f"{name} {_share(self.before, name):.0f}% -> {_share(self.after, name):.0f}%"
                   for name in sorted(set(self.before) - self.changed)
                   if abs(_share(self.after, name) - _share(self.before, name))
                   > SHARE_TOLERANCE]
        if not shifted:
            return None
        return (f"the new hardware's weight differs from the old: data moves between "
                f"{self.domain_type}s, not only onto it (share of the weight: "
                f"{', '.join(shifted)})")


def replacement_weights(tree: OsdTree, domain_type: str, old_host: str, new_host: str,
                        new_rack: str | None, new_weights: Sequence[float]) -> DomainWeights:
    """Domain weights when old_host's OSDs go and new OSDs of these weights come on new_host."""
    weights = tree.crush_weights()
    domains = tree.buckets(domain_type)
    before = {name: round(sum(weights.get(o, 0.0) for o in osds), 5)
              for name, osds in domains.items()}
    old_osds = tree.hosts().get(old_host, frozenset())
    after = {name: round(sum(weights.get(o, 0.0) for o in osds - old_osds), 5)
             for name, osds in domains.items()}
    old_domain = _domain_of(tree, domain_type, old_host, None)
    new_domain = _domain_of(tree, domain_type, new_host, new_rack)
    after[new_domain] = round(after.get(new_domain, 0.0) + sum(new_weights), 5)
    if old_domain != new_domain and not after.get(old_domain):
        after.pop(old_domain, None)
    return DomainWeights(domain_type, before, after, frozenset({old_domain, new_domain}))


def _domain_of(tree: OsdTree, domain_type: str, host: str, rack: str | None) -> str:
    if domain_type == "host":
        return host
    on_host = tree.hosts().get(host, frozenset())
    return next((name for name, osds in tree.buckets(domain_type).items() if osds & on_host),
                landing(tree, host, rack))


def _share(weights: Mapping[str, float], name: str) -> float:
    total = sum(weights.values())
    return 100.0 * weights.get(name, 0.0) / total if total > 0 else 0.0


def _weight(weights: Mapping[str, float], name: str) -> str:
    if name not in weights:
        return "none"
    return f"{weights[name]:g} ({_share(weights, name):.0f}%)"
