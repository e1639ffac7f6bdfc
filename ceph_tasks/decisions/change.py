"""One command that changes or puts back something on a cluster, with its words for a report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """A monitor (or, with mgr set, manager) command prefix, its arguments and what it says."""

    prefix: str
    args: Mapping[str, Any] = field(default_factory=dict)
    says: str = ""
    #: Sent to the manager (balancer commands) rather than the monitors.
    mgr: bool = False
