"""CRUSH weights: an OSD's weight from its device's size, and how far the next step of a
gradual reweight goes (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping

#: CRUSH stores weights in 16.16 fixed point, so a weight read back can differ from the
#: one set by up to 1/65536; anything closer than this counts as the same weight.
WEIGHT_TOLERANCE = 1e-4


#: Bytes in a TiB: an OSD's CRUSH weight is its device's size in TiB by Ceph's convention.
TIB = 1 << 40


def size_weight(size_bytes: int) -> float:
    """The CRUSH weight Ceph gives a new OSD on a device of this size: TiB, four decimals.

    As the OSD does when osd_crush_initial_weight is unset (src/osd/OSD.cc prints
    max(.00001, bytes / 2^40) with "%.4lf").
    """
    return round(max(size_bytes / TIB, 0.00001), 4)


def same_weight(a: float, b: float) -> bool:
    """Whether two CRUSH weights are equal as CRUSH stores them."""
    return abs(a - b) < WEIGHT_TOLERANCE


def reached(current: Mapping[int, float], target: Mapping[int, float]) -> bool:
    """Whether every OSD of target has its target weight."""
    return all(same_weight(current[osd], weight) for osd, weight in target.items())


def next_weights(
    current: Mapping[int, float], target: Mapping[int, float], step: float | None
) -> dict[int, float]:
    """The weights after one more step: each OSD moves at most step toward its target.

    Only OSDs that change are returned. A step of None moves every OSD at once. OSDs of
    target missing from current raise KeyError naming them: a step is never guessed.
    """
    if step is not None and not (step > 0 and math.isfinite(step)):
        raise ValueError(f"a weight step must be a positive number, got {step}")
    missing = sorted(set(target) - set(current))
    if missing:
        raise KeyError(f"no current weight for OSD(s) {missing}")
    changes: dict[int, float] = {}
    for osd, goal in sorted(target.items()):
        now = current[osd]
        if same_weight(now, goal):
            continue
        if step is None or abs(goal - now) <= step + WEIGHT_TOLERANCE:
            changes[osd] = goal
        else:
            changes[osd] = round(now + math.copysign(step, goal - now), 5)
    return changes


def steps_left(
    current: Mapping[int, float], target: Mapping[int, float], step: float | None
) -> int:
    """How many steps a reweight from current to target still takes.

    Counted by taking the steps, so that it agrees with next_weights to the last rounding.
    """
    weights = dict(current)
    count = 0
    while changes := next_weights(weights, target, step):
        weights.update(changes)
        count += 1
    return count
