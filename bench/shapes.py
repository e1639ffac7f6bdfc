"""The benchmark cases as pure data: names, sizes and the seeded random DAG."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One workflow shape at one size."""

    name: str
    kind: str  # chain | chord | chords | dag | floor
    size: int  # chain length, chord header, chord count, DAG layers or task count
    width: int = 0  # chord header in a chain of chords, nodes per DAG layer
    seed: int = 0

    @property
    def nodes(self) -> int:
        """Number of tasks the case runs."""
        if self.kind == "chord":
            return self.size + 1
        if self.kind == "chords":
            # A single task before and after the chords, as in the 1,012 and 10,102.
            return self.size * (self.width + 1) + 2
        if self.kind == "dag":
            return self.size * self.width
        return self.size

    @property
    def title(self) -> str:
        """Human label for the table."""
        titles = {
            "chain": f"chain of {self.size:,}",
            "chord": f"chord of {self.size:,}",
            "chords": f"chain of {self.size:,} chords x {self.width:,}",
            "dag": f"random DAG {self.size:,} x {self.width:,}",
            "floor": f"{self.size:,} independent tasks",
        }
        return titles[self.kind]


def cases(quick: bool = False, huge: bool = False) -> list[Case]:
    """The issue's cases; quick shrinks them for a smoke run, huge adds 100,000 nodes."""
    if quick:
        found = [
            Case("chain", "chain", 20),
            Case("chord", "chord", 100),
            Case("chords-small", "chords", 3, width=10),
            Case("chords", "chords", 5, width=20),
            Case("dag", "dag", 10, width=20, seed=7),
            Case("floor", "floor", 200),
        ]
        return found + ([Case("huge", "dag", 50, width=20, seed=7)] if huge else [])
    found = [
        Case("chain", "chain", 200),
        Case("chord", "chord", 1_000),
        Case("chords-small", "chords", 10, width=100),
        Case("chords", "chords", 100, width=100),
        Case("dag", "dag", 100, width=100, seed=7),
        Case("floor", "floor", 10_000),
    ]
    return found + ([Case("huge", "dag", 1_000, width=100, seed=7)] if huge else [])


def layered_dag(layers: int, width: int, seed: int) -> list[list[int]]:
    """Dependencies of each node (by index) in a seeded random layered DAG.

    Every node past the first layer depends on 1-3 distinct earlier nodes; the first one
    is always in the previous layer so that the DAG really is `layers` deep.
    """
    rng = random.Random(seed)
    deps: list[list[int]] = []
    for layer in range(layers):
        for _ in range(width):
            if layer == 0:
                deps.append([])
                continue
            previous = rng.randrange((layer - 1) * width, layer * width)
            chosen = {previous}
            for _ in range(rng.randint(1, 3) - 1):
                chosen.add(rng.randrange(0, layer * width))
            deps.append(sorted(chosen))
    return deps
