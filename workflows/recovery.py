"""What cephmaint left on a cluster that no workflow owns, and the plan that puts it back (pure).

The last resort after losing Redis (or a workflow's state in it): the copies of the ledger
kept on the cluster (ceph_tasks.ledger_mirror) say what each maintenance changed; compared
with the cluster now, they tell what is still as the maintenance left it. A recovery is a
maintenance like the others, under the same reference: the copies go back into the ledger,
and its workflow raises drained OSDs back under the throttle and runs the one restore path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ceph_tasks.ceph.models import OsdDump, OsdTree, Pool
from ceph_tasks.ceph.models.config_db import ConfigEntry
from ceph_tasks.decisions.restoration import (
    Kind,
    ceph_restores,
    downtime_hosts,
    recorded,
    recovery_restores,
    stopped_daemons,
)
from ceph_tasks.decisions.reweight_plan import LEDGER_PREFIX as WEIGHTS_PREFIX
from ceph_tasks.decisions.reweight_plan import restorable
from ceph_tasks.decisions.weights import same_weight
from workflows.concurrency import Holder
from workflows.plan import MaintenancePlan, Phase
from workflows.steps import StepMaker

#: The kind of a recovery's plan.
RECOVER = "recover"


@dataclass(frozen=True)
class Leftover:
    """A maintenance no workflow owns: its recorded changes, and those still in effect."""

    reference: str
    records: Mapping[str, Any]
    #: What is still as the maintenance left it, in words.
    in_effect: tuple[str, ...]
    #: The OSDs whose CRUSH weight is still changed (raised back under the throttle).
    weights: tuple[int, ...]
    #: The hosts whose monitoring downtime or stopped daemons are recorded.
    hosts: tuple[str, ...]

    @property
    def settled(self) -> bool:
        """Nothing of it is in effect any more: only its copies are left to drop."""
        return not self.in_effect


def leftovers(copies: Mapping[str, Mapping[str, Any]], owned: Collection[str], dump: OsdDump,
              tree: OsdTree, pools: Iterable[Pool], balancer: Mapping[str, Any],
              config: Iterable[ConfigEntry] = ()) -> list[Leftover]:
    """The maintenances with copies on the cluster that no workflow owns, by reference.

    config: the config database, where per-OSD recovery settings of theirs may remain.
    """
    pools, config = tuple(pools), tuple(config)
    found = []
    for reference, records in sorted(copies.items()):
        if reference in owned:
            continue
        said = [c.says for c in ceph_restores(
            recorded(records, [Kind.FLAGS, Kind.MOVERS]), dump, pools, balancer)]
        said += [f"{c.args['who']} {c.args['name']} set by it"
                 for c in recovery_restores(records, config)]
        weights = _weights_changed(records, tree)
        said += [f"osd.{o} CRUSH weight {tree.crush_weights()[o]:g}, was "
                 f"{records[f'{WEIGHTS_PREFIX}:{o}']:g}" for o in weights]
        down = set(tree.down_osds())
        stopped = stopped_daemons(records)
        said += [f"osd.{o} on host {host} stopped by it (down now)"
                 for host, osds in stopped.items() for o in osds if o in down]
        downtimes = downtime_hosts(records)
        said += [f"monitoring downtime of host {host}" for host in downtimes]
        weighed = [h for o in weights if (h := tree.host_of(o)) is not None]
        found.append(Leftover(reference, records, tuple(said), tuple(weights),
                              tuple(dict.fromkeys([*stopped, *downtimes, *weighed]))))
    return found


def orphan_leases(holders: Iterable[Holder], owned: Collection[str]) -> list[Holder]:
    """The cluster's lease holders whose workflow is gone: nothing will ever release them."""
    return [h for h in holders if h.reference not in owned]


def plan_recovery(cluster: str, leftover: Leftover) -> MaintenancePlan:
    """The workflow putting a leftover back: weights under the throttle, then the restore."""
    make = StepMaker(cluster, leftover.reference)
    plan = MaintenancePlan(
        RECOVER, cluster, leftover.reference, hosts=leftover.hosts, osds=leftover.weights,
        notes=("recovers what this maintenance left on the cluster, from the copies of its "
               "ledger kept there; its own workflow is gone",))
    after: tuple[str, ...] = ()
    if leftover.weights:
        after = (plan.add(make.weights_back(leftover.weights, phase=Phase.MOVE)),)
    plan.add(make.restore(after, hosts=leftover.hosts))
    plan.finalisers.append(StepMaker(cluster, leftover.reference).restore(
        (), phase=Phase.FINALISE, hosts=leftover.hosts))
    return plan


def _weights_changed(records: Mapping[str, Any], tree: OsdTree) -> list[int]:
    """The recorded OSDs still in the tree, up, and below their recorded weight.

    Only drained OSDs are raised back. An OSD above its recorded weight was added by the
    maintenance (created at 0, raised): taking it down again would move its data off once
    more, with its maintenance's plan (and whether the host it replaced is gone) unknown.
    """
    originals = {int(key.removeprefix(f"{WEIGHTS_PREFIX}:")): value
                 for key, value in records.items()
                 if key.startswith(f"{WEIGHTS_PREFIX}:")
                 and key.removeprefix(f"{WEIGHTS_PREFIX}:").isdigit()}
    now = tree.crush_weights()
    placed = frozenset(o for o in now if tree.host_of(o) is not None)
    keep, _ = restorable(sorted(originals), placed, tree.down_osds(), originals)
    return [o for o in keep
            if now[o] < float(originals[o]) and not same_weight(now[o], float(originals[o]))]
