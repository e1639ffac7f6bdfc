"""Whether a data-moving or destructive step may start now: maintenance windows (pure).

A cluster may have windows, and a datacenter of its hosts may have its own; work on a host
may start only when every set that applies is open. Outside, a step waits for the next
moment all of them are open, unless the operator started the maintenance with
`run --now --reason TEXT`, which is recorded in the ledger under WINDOW_OVERRIDE_KEY.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceph_tasks.errors import InvalidInput
from inventory import Cluster, MaintenanceWindow

#: Ledger key of an operator's override: {"reason": ..., "at": ...}.
WINDOW_OVERRIDE_KEY = "window-override"
#: How far ahead to look for a moment when every set of windows is open at once.
_SEARCH_STEPS = 64

WindowSets = Sequence[Sequence[MaintenanceWindow]]


class WindowsNeverOpen(InvalidInput):
    """The windows that apply never overlap: the step could wait for ever."""


@dataclass(frozen=True)
class WindowVerdict:
    """Whether a step may start now; if not, when it may and the words for status."""

    open: bool
    reason: str
    opens_at: datetime | None = None

    def seconds_to_wait(self, now: datetime) -> float:
        """Seconds from now until the windows open (0 when open)."""
        return 0.0 if self.opens_at is None else max((self.opens_at - now).total_seconds(), 0.0)


def windows_for(cluster: Cluster, hosts: Sequence[str]) -> WindowSets:
    """Every set of windows that must be open for work on these hosts of a cluster."""
    sets: list[tuple[MaintenanceWindow, ...]] = []
    targets: list[str | None] = [*hosts] or [None]
    for host in targets:
        sets += [found for found in cluster.windows_of(host) if found not in sets]
    return sets


def describe_windows(sets: WindowSets) -> str:
    """The windows as people write them, sets joined by 'and'."""
    return " and ".join(" or ".join(w.describe() for w in windows) for windows in sets)


def is_open(sets: WindowSets, moment: datetime) -> bool:
    """Whether every set of windows has one open at moment (no sets: always)."""
    return all(any(window.contains(moment) for window in windows) for windows in sets)


def next_opening(sets: WindowSets, now: datetime) -> datetime:
    """The first moment at or after now when every set is open."""
    moment = now
    for _ in range(_SEARCH_STEPS):
        closed = [windows for windows in sets
                  if not any(window.contains(moment) for window in windows)]
        if not closed:
            return moment
        # Jump to the latest of the closed sets' next openings: nothing earlier can do.
        moment = max(min(window.next_start(moment) for window in windows)
                     for windows in closed)
    raise WindowsNeverOpen(f"the maintenance windows never overlap: {describe_windows(sets)}")


def describe_opening(sets: WindowSets, moment: datetime) -> str:
    """'Tue 22:00 Europe/Paris': moment in the zone of a window that opens then."""
    windows = [window for group in sets for window in group]
    opening = [w for w in windows if any(start == moment for start, _ in w.occurrences(moment))]
    zone_of = (opening or windows)[0]
    return f"{moment.astimezone(zone_of.zone):%a %H:%M} {zone_of.timezone}"


def window_verdict(sets: WindowSets, now: datetime,
                   override: Mapping[str, Any] | None = None) -> WindowVerdict:
    """May a data-moving or destructive step start at now, given the windows that apply?"""
    if override is not None:
        return WindowVerdict(True, f"outside windows by override: {override.get('reason')}")
    if not sets:
        return WindowVerdict(True, "no maintenance windows: any time")
    if is_open(sets, now):
        return WindowVerdict(True, "inside the maintenance window")
    opens = next_opening(sets, now)
    return WindowVerdict(False, f"waiting for window: opens {describe_opening(sets, opens)}",
                         opens)
