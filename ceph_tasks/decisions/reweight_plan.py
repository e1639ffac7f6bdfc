"""A gradual CRUSH reweight: which OSDs, to which weights, and whether to step now (pure).

Each run of the reweight task reads the live weights and PG states and asks `decide` what to
do: nothing (done), one step, or wait because too many PGs are still moving data.

What counts as "moving": CERN's ceph-gentle-reweight counts the PGs whose state says
`backfilling`, i.e. running backfills only. Running backfills are capped per OSD by
osd_max_backfills, so that count stays low while a long backfill_wait queue builds up, and a
step taken then only lengthens the queue. Small PGs move by log-based recovery instead of
backfill (the sandbox's always do). So here a PG moving data is one backfilling,
waiting to backfill, recovering or waiting to recover: a step is taken only once that whole
backlog is under the cap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ceph_tasks.decisions.weights import next_weights, reached, size_weight, steps_left
from ceph_tasks.errors import InvalidInput

#: The ledger key prefix under which an OSD's CRUSH weight before the maintenance is kept.
LEDGER_PREFIX = "weights"


class ReweightError(InvalidInput):
    """The OSDs or weights asked for cannot be resolved safely."""


def ledger_key(osd_id: int) -> str:
    """The ledger key of an OSD's original CRUSH weight."""
    return f"{LEDGER_PREFIX}:{osd_id}"


def host_osds(host: str, live: Mapping[str, frozenset[int]], inventory: frozenset[int]
              ) -> frozenset[int]:
    """A host's OSDs, from the live CRUSH tree, when the inventory agrees with it.

    A disagreement (an OSD created or purged behind the inventory's back) is an error: a
    weight change on the wrong set of OSDs moves data nobody planned to move.
    """
    if host not in live:
        raise ReweightError(f"host {host} has no bucket in the CRUSH tree")
    in_tree = live[host]
    if in_tree != inventory:
        only_tree = sorted(in_tree - inventory)
        only_inventory = sorted(inventory - in_tree)
        raise ReweightError(
            f"host {host}: the CRUSH tree and the inventory disagree on its OSDs "
            f"(only in the tree: {only_tree}, only in the inventory: {only_inventory})")
    if not in_tree:
        raise ReweightError(f"host {host} has no OSDs")
    return in_tree


def listed_osds(osd_ids: list[int], in_crush: frozenset[int]) -> frozenset[int]:
    """The OSDs listed, each of which must be placed in the CRUSH tree."""
    if not osd_ids:
        raise ReweightError("no OSDs given")
    missing = sorted(set(osd_ids) - in_crush)
    if missing:
        raise ReweightError(f"OSD(s) {missing} are not in the CRUSH tree")
    return frozenset(osd_ids)


def restorable(osd_ids: Sequence[int], in_crush: frozenset[int], down: Collection[int],
               originals: Mapping[int, float | None]) -> tuple[list[int], dict[int, str]]:
    """Of the OSDs a rollback would raise back: those it can, and why not for the others.

    After a failure the drained OSDs may be gone (purged), down or destroyed (a disk
    pulled): raising their weight would map PGs onto OSDs that cannot take them.
    """
    keep: list[int] = []
    skipped: dict[int, str] = {}
    for osd in sorted(set(osd_ids)):
        if osd not in in_crush:
            skipped[osd] = "not in the CRUSH tree (removed)"
        elif osd in down:
            skipped[osd] = "down"
        elif originals.get(osd) is None:
            skipped[osd] = "no weight recorded before the maintenance"
        else:
            keep.append(osd)
    return keep, skipped


def target_weights(osds: frozenset[int], target: float | None,
                   originals: Mapping[int, float | None]) -> dict[int, float]:
    """Each OSD's goal: target, or (target None) its weight recorded before the maintenance."""
    if target is not None:
        if not target >= 0:
            raise ReweightError(f"a CRUSH weight must be a number >= 0, got {target}")
        return {osd: float(target) for osd in sorted(osds)}
    unknown = sorted(osd for osd in osds if originals.get(osd) is None)
    if unknown:
        raise ReweightError(f"no original weight recorded for OSD(s) {unknown}")
    return {osd: float(originals[osd]) for osd in sorted(osds)}  # type: ignore[arg-type]


def size_weights(devices: Mapping[int, str], sizes: Mapping[str, int | None]
                 ) -> dict[int, float]:
    """Each OSD's weight from the size of the device it was created on (TiB).

    devices maps OSDs to their device paths, sizes the paths to bytes (None: unknown);
    ReweightError names the OSDs whose size is not known: a weight is never guessed.
    """
    unknown = sorted(f"osd.{o} ({d})" for o, d in devices.items() if not sizes.get(d))
    if unknown:
        raise ReweightError(f"no device size in the inventory for {', '.join(unknown)}: "
                            "give devices their size_bytes, or a target weight")
    return {osd: size_weight(sizes[d] or 0) for osd, d in sorted(devices.items())}


class Action(StrEnum):
    """What a run of the reweight does."""

    DONE = "done"
    STEP = "step"
    WAIT = "wait"


@dataclass(frozen=True)
class ReweightDecision:
    """The next move of a reweight, the weights it sets, and how far it still has to go."""

    action: Action
    #: New weights to set now (STEP only), by OSD id.
    changes: dict[int, float]
    #: Steps still needed from the current weights (before this one is taken).
    steps_left: int
    reason: str


def decide(current: Mapping[int, float], target: Mapping[int, float], step: float | None,
           moving_pgs: int, max_moving_pgs: int) -> ReweightDecision:
    """Done when every OSD is at its target; else a step, unless moving PGs reach the cap."""
    left = steps_left(current, target, step)
    if reached(current, target):
        return ReweightDecision(Action.DONE, {}, 0, "every OSD is at its target weight")
    if moving_pgs >= max_moving_pgs:
        return ReweightDecision(
            Action.WAIT, {}, left,
            f"{moving_pgs} PGs are moving data, the cap is {max_moving_pgs}: "
            f"waiting before the next step")
    changes = next_weights(current, target, step)
    return ReweightDecision(Action.STEP, changes, left,
                            f"step {_describe(changes)} ({left} step(s) left before it)")


def _describe(changes: Mapping[int, float]) -> str:
    return ", ".join(f"osd.{osd} -> {weight:g}" for osd, weight in sorted(changes.items()))
