"""Moving each copy once: a replace from the old host's OSDs straight to the new host's.

Drain-fill (the old host drained to weight 0, then the new one raised) moves every copy
twice: off the old host, then onto the new one. Move-once, with upmap items (CERN's
upmap-remapped and DigitalOcean's pgremapper, in our own steps):
1. the new host's OSDs are created and take their weight at once under `norebalance`;
   every PG CRUSH now sends elsewhere is pinned back where its data is: nothing moves;
2. the old host's copies go to the new host's OSDs with explicit upmap items, a batch at
   a time under the backfill cap and the same holds as a reweight;
3. the empty old OSDs go to weight 0 under `norebalance` and whatever CRUSH would now
   reshuffle among the other hosts is pinned again; then they are removed as in a drain.
The pins left hold PGs where their data is rather than where CRUSH would put them; the
balancer, back on at the end, releases them when that evens out the OSDs.

A decommission the same way, the copies going to the least loaded OSDs of the other hosts
(step 2 without a new host), then step 3.

An addition the same way when asked for (`--strategy move-once`): the new OSDs take their
weight at once under `norebalance`, every remapped PG is pinned, and the pins are released
a batch at a time, each PG's data going once, straight to where CRUSH puts it. Measured on
the racks sandbox it moved no less than raising the weights in steps, which stays the
default for an addition.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from inventory import Cluster
from workflows.errors import PlanRefused
from workflows.impact import joined
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState, DomainCheck
from workflows.steps import StepMaker


class Strategy(StrEnum):
    """How a replace (a decommission, an addition) moves the data."""

    AUTO = "auto"
    MOVE_ONCE = "move-once"
    DRAIN_FILL = "drain-fill"


def move_once_problems(state: ClusterState, host: str, target: str | None) -> list[str]:
    """Why a replace (onto target) or an addition (None) cannot move each copy once."""
    if target == host:
        return [f"the new hardware takes {host}'s place: its data must leave before the "
                "swap"]
    if state.upmap_readiness is None:
        return ["the cluster's clients were not checked for upmap support"]
    return state.upmap_readiness.problems()


def uses_move_once(strategy: Strategy, state: ClusterState, host: str, target: str | None,
                   cluster: str, kind: str = "replace") -> tuple[bool, str]:
    """Whether a replace, an addition or a decommission moves each copy once, and the
    plan's note on why.

    Asked for explicitly, move-once is refused where the cluster does not allow it; auto
    falls back to drain-fill (steps) and says why. An addition raises its weights in steps
    unless move-once is asked for: pinned and released, it moved no less on the sandbox
    (bench.maintenance --add, README).
    """
    steps = "drain-fill" if kind == "replace" else "steps"
    if strategy == Strategy.DRAIN_FILL:
        return False, ("drain-fill (asked for): every copy moves twice, off and on"
                       if kind == "replace" else f"{steps} (asked for): the weights move in steps")
    if kind == "add" and strategy == Strategy.AUTO:
        return False, ("steps: raising the weights in steps moved no more than pinning and "
                       "releasing on the sandbox (--strategy move-once does that instead)")
    problems = move_once_problems(state, host, target)
    if not problems:
        return True, _MOVE_ONCE_NOTES[kind].format(host=host, target=target)
    if strategy == Strategy.MOVE_ONCE:
        raise PlanRefused(f"{kind} of {host} on cluster {cluster} refused, nothing changed: "
                          f"move-once is not possible: {'; '.join(problems)}")
    return False, f"{steps}: move-once is not possible: {'; '.join(problems)}"


_PINS_STAY = ("the PGs CRUSH would place elsewhere stay pinned where their data is, and the "
              "balancer releases those pins when worth it")
_MOVE_ONCE_NOTES = {
    "replace": "move-once: each copy of {host} goes straight to {target} (upmap items); "
               + _PINS_STAY,
    "decommission": "move-once: each copy of {host} goes straight to the least loaded OSD of "
                    "another host that keeps its PG's failure domains apart (upmap items), "
                    "then its OSDs go to weight 0; " + _PINS_STAY,
    "add": "move-once: {host}'s OSDs take their weight at once with every PG pinned where "
           "its data is (upmap items), then the pins are released a batch at a time: each "
           "copy moves once, straight to its place",
}


def with_target_joined(check: DomainCheck, cluster: Cluster, target: str) -> DomainCheck:
    """A failure-domain check made as if the new host's OSDs were there already.

    Moving once, the new host takes weight before the old one leaves: a host alone in its
    rack can be replaced by another of the same rack.
    """
    new = cluster.host(target)
    classes = [o.device_class for o in cluster.osds_on(target)]

    def checked(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
        tree, _ = joined(state.tree, target, new.rack, classes)
        return check(replace(state, tree=tree), hosts)
    return checked


def move_to_new_host(plan: MaintenancePlan, steps: StepMaker, host: str, target: str,
                     osds: tuple[int, ...], weights: float | str, *, drain_timeout: float,
                     after: tuple[str, ...]) -> tuple[str, ...]:
    """New OSDs at weight with nothing moving, copies moved once, old OSDs at 0: the last step.

    The new host's OSDs exist already (add_node).
    """
    last = (plan.add(steps.norebalance_on(after, phase=Phase.ADD)),)
    last = (plan.add(steps.reweight_at_once(target, weights, (), last, phase=Phase.ADD)),)
    last = (plan.add(steps.pin_placement(last, phase=Phase.ADD)),)
    # Checked again on the live map, the new host's OSDs in it, before anything leaves.
    last = (plan.add(steps.removal_guard([host], last)),)
    return empty_by_moves(plan, steps, host, target, osds, drain_timeout=drain_timeout,
                          after=last)


def empty_by_moves(plan: MaintenancePlan, steps: StepMaker, host: str, target: str | None,
                   osds: tuple[int, ...], *, drain_timeout: float,
                   after: tuple[str, ...]) -> tuple[str, ...]:
    """Each copy on host moved once (to target's OSDs; None: the least loaded OSDs of the
    other hosts), then its OSDs to weight 0 with whatever CRUSH reshuffles pinned: the last
    step."""
    last = (plan.add(steps.move_off(host, target, after, timeout=drain_timeout)),)
    last = (plan.add(steps.norebalance_on(last)),)
    last = (plan.add(steps.reweight_at_once(host, 0.0, osds, last)),)
    return (plan.add(steps.pin_placement(last)),)


def raise_pinned(plan: MaintenancePlan, steps: StepMaker, host: str, weights: float | str, *,
                 drain_timeout: float, after: tuple[str, ...]) -> tuple[str, ...]:
    """A new host's OSDs at their weight with every PG pinned, then released in batches."""
    last = (plan.add(steps.norebalance_on(after, phase=Phase.ADD)),)
    last = (plan.add(steps.reweight_at_once(host, weights, (), last, phase=Phase.ADD)),)
    last = (plan.add(steps.pin_placement(last, phase=Phase.ADD)),)
    return (plan.add(steps.release_pins(host, last, timeout=drain_timeout)),)
