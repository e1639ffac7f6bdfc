"""OSD flags a maintenance sets and restores, cluster-wide or on host buckets (pure).

Only the flags that pause data movement or scrubbing are handled. `osd set-group` takes
only noup, nodown, noin and noout on a CRUSH node, so of ours only noout can be set per host
(https://docs.ceph.com/en/pacific/rados/operations/health-checks/#osd-flags).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ceph_tasks.errors import InvalidInput

#: Flags a maintenance may set: they stop OSDs being marked out, data moving or scrubs.
MAINTENANCE_FLAGS: tuple[str, ...] = ("noout", "norebalance", "nobackfill", "noscrub",
                                      "nodeep-scrub")

#: Of those, the ones Ceph accepts on a CRUSH node (`osd set-group`).
HOST_FLAGS: tuple[str, ...] = ("noout",)

#: The ledger key prefix under which a flag's state before the maintenance is recorded.
LEDGER_PREFIX = "flag"


class FlagError(InvalidInput):
    """Flags that cannot be set the way they were asked for."""


def check_flags(flags: Iterable[str], hosts: Sequence[str] | None = None) -> tuple[str, ...]:
    """The flags, deduplicated in the canonical order; FlagError naming any refused one."""
    wanted = list(dict.fromkeys(flags))
    if not wanted:
        raise FlagError("no flags given")
    allowed = MAINTENANCE_FLAGS if hosts is None else HOST_FLAGS
    refused = [f for f in wanted if f not in allowed]
    if refused:
        where = "cluster-wide" if hosts is None else "per host (osd set-group)"
        raise FlagError(f"flag(s) {', '.join(refused)} cannot be set {where}; "
                        f"allowed: {', '.join(allowed)}")
    if hosts is not None and not hosts:
        raise FlagError("an empty list of hosts: give hosts, or None for cluster-wide flags")
    return tuple(f for f in MAINTENANCE_FLAGS if f in wanted)


@dataclass(frozen=True)
class FlagTarget:
    """Where a flag lives: on the whole cluster (host None) or on one host bucket."""

    flag: str
    host: str | None = None

    @property
    def ledger_key(self) -> str:
        """The ledger key holding whether the flag was set before the maintenance."""
        return f"{LEDGER_PREFIX}:{self.host or 'cluster'}:{self.flag}"

    def describe(self) -> str:
        """E.g. "noout" or "noout on node2"."""
        return self.flag if self.host is None else f"{self.flag} on {self.host}"


def targets(flags: Sequence[str], hosts: Sequence[str] | None) -> tuple[FlagTarget, ...]:
    """Every (flag, host) pair asked for; cluster-wide when hosts is None."""
    if hosts is None:
        return tuple(FlagTarget(f) for f in flags)
    return tuple(FlagTarget(f, h) for h in dict.fromkeys(hosts) for f in flags)


def to_restore(set_before: bool | None, set_now: bool) -> bool:
    """Whether restoring unsets a flag: only one this maintenance set and still set.

    set_before is what the ledger recorded when the maintenance set the flag (None: it never
    did). A flag that was already set, by an operator or another maintenance, stays.
    """
    return set_before is False and set_now
