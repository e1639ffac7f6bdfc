"""When a maintenance's monitoring downtime starts and ends, fixed once (pure).

A monitoring system recognises an existing downtime only if it lasts at least as long as
the one requested. Were the end recomputed from the clock on every run, a re-run would ask
for a slightly later end, find nothing covering it and create a second downtime. So the
first run's window is recorded and re-runs ask for that same window, until it has ended.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: The ledger key prefix of the hosts' downtime windows.
LEDGER_PREFIX = "downtime"


def window_key(host: str) -> str:
    """The ledger key of a host's downtime window."""
    return f"{LEDGER_PREFIX}:{host}"


@dataclass(frozen=True)
class Window:
    """A downtime's start and end (timezone-aware)."""

    start: datetime
    end: datetime

    def to_json(self) -> dict[str, str]:
        """The ledger form."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Window:
        """Read the ledger form."""
        return cls(datetime.fromisoformat(str(data["start"])),
                   datetime.fromisoformat(str(data["end"])))


def downtime_window(recorded: Window | None, now: datetime, duration_s: float) -> Window:
    """The recorded window while it lasts; else a new one from now (whole seconds) on."""
    if duration_s <= 0:
        raise ValueError(f"a downtime needs a positive duration, got {duration_s:g} s")
    if recorded is not None and recorded.end > now:
        return recorded
    # Whole seconds: Alertmanager keeps milliseconds and Icinga seconds, and a stored end a
    # few microseconds short of the one asked for would not count as covering it.
    start = now.replace(microsecond=0)
    return Window(start, start + timedelta(seconds=math.ceil(duration_s)))
