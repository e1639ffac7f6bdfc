"""Work on a host without moving its data: what is recorded, when it is back (pure).

The host's OSDs are stopped under its own noout (`osd set-group noout HOST`): they go down
but stay in, so CRUSH keeps their PGs where they are and, once they start again, only the
writes made meanwhile are recovered, from the peers' PG logs
(https://docs.ceph.com/en/pacific/rados/troubleshooting/troubleshooting-osd/#stopping-w-out-rebalancing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceph_tasks.ceph.models import OsdTree, PgObjects

#: Ledger key prefix of what a host held when its work began (copies, objects recovered).
HELD_PREFIX = "host-held"
#: Ledger key prefix of a command a host's work ran (its boot id before a reboot, or result).
COMMAND_PREFIX = "host-command"
#: Ledger key of the extensions an operator gave a host's time down (`cephmaint extend`).
EXTENSIONS_KEY = "max-down-extensions"
#: Ledger key prefix recording that the operators were told a host stays down too long.
OVERDUE_PREFIX = "host-overdue"
#: Ledger key prefix of an operator's decision to decommission a host held down too long.
GIVEN_UP_PREFIX = "host-given-up"


def held_key(host: str) -> str:
    """The ledger key of the host's object copies and the recovery count when work began."""
    return f"{HELD_PREFIX}:{host}"


def command_key(host: str, task_id: str) -> str:
    """The ledger key of one command run on a host by one task (a retry runs it afresh)."""
    return f"{COMMAND_PREFIX}:{host}:{task_id}"


def overdue_key(host: str, allowed: float) -> str:
    """The ledger key of the operators told that host is down past allowed seconds."""
    return f"{OVERDUE_PREFIX}:{host}:{allowed:g}"


def given_up_key(host: str) -> str:
    """The ledger key of the decision to decommission a host rather than wait for it."""
    return f"{GIVEN_UP_PREFIX}:{host}"


def overdue_hosts(entries: Mapping[str, Any]) -> list[str]:
    """The hosts the operators were told are down too long, in the order told."""
    hosts = [key[len(OVERDUE_PREFIX) + 1:].rpartition(":")[0] for key in entries
             if key.startswith(f"{OVERDUE_PREFIX}:")]
    return list(dict.fromkeys(hosts))


def baseline(pgs: PgObjects, osds: Iterable[int], now: datetime) -> dict[str, Any]:
    """What the host's OSDs hold, every PG's recovery count, and when: recorded before work."""
    return {"copies": pgs.copies_on(osds), "recovered": pgs.recovered(),
            "stopped_at": now.isoformat()}


@dataclass(frozen=True)
class TimeDown:
    """How long a host has been down in its work, against what it may be."""

    down_for: float
    allowed: float

    @property
    def overdue(self) -> bool:
        """Past max_down and every extension: the operators decide what happens."""
        return self.down_for > self.allowed


def time_down(recorded: Mapping[str, Any], now: datetime, max_down: float,
              extensions: Sequence[Mapping[str, Any]]) -> TimeDown:
    """The host's time down since its daemons stopped, and max_down plus the extensions."""
    stopped = recorded.get("stopped_at")
    since = datetime.fromisoformat(stopped) if isinstance(stopped, str) else now
    extra = sum(float(e.get("seconds", 0)) for e in extensions)
    return TimeDown(max((now - since).total_seconds(), 0.0), max_down + extra)


def not_back(tree: OsdTree, osds: Iterable[int]) -> list[str]:
    """The host's OSDs that are not up and in yet, each with what it lacks."""
    nodes = {n.id: n for n in tree.osds()}
    problems = []
    for osd in sorted(osds):
        node = nodes.get(osd)
        if node is None:
            problems.append(f"osd.{osd} gone from the OSD tree")
        elif not node.up or node.out:
            lacks = " and ".join(w for w, bad in (("down", not node.up), ("out", node.out))
                                 if bad)
            problems.append(f"osd.{osd} {lacks}")
    return problems


@dataclass(frozen=True)
class Recovery:
    """The objects recovered during a host's work next to the object copies it held."""

    recovered: int
    held: int

    def describe(self) -> str:
        """One line for the status: recovered against held."""
        share = f" ({100 * self.recovered / self.held:.1f} %)" if self.held else ""
        return (f"{self.recovered} objects recovered during the work, against "
                f"{self.held} object copies the host held{share}")


def recovery_since(recorded: Mapping[str, Any], pgs: PgObjects) -> Recovery:
    """The recovery since the recorded baseline (a PG that went away counts nothing)."""
    before = int(recorded.get("recovered", 0))
    return Recovery(recovered=max(pgs.recovered() - before, 0),
                    held=int(recorded.get("copies", 0)))
