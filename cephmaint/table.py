"""Aligned columns for the command line, one line per row (as kubectl get prints: greppable)."""

from __future__ import annotations

from collections.abc import Sequence


def aligned(lines: Sequence[Sequence[str]]) -> str:
    """The lines with every column but the last padded to its widest cell."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(line[:-1], widths,
                                                                      strict=True)), line[-1]])
                     for line in lines)
