"""OSD flags a maintenance sets and restores: cluster-wide, on host buckets or on pools (pure).

Only the flags that pause data movement or scrubbing are handled. `osd set-group` takes
only noup, nodown, noin and noout on a CRUSH node, so of ours only noout can be set per host
(https://docs.ceph.com/en/pacific/rados/operations/health-checks/#osd-flags); scrubs can
be paused per pool instead (`osd pool set POOL noscrub 1`,
https://docs.ceph.com/en/pacific/rados/operations/pools/#set-pool-values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ceph_tasks.ceph.models import OsdDump
from ceph_tasks.decisions.change import Change
from ceph_tasks.errors import InvalidInput

#: Flags a maintenance may set: they stop OSDs being marked out, data moving or scrubs.
MAINTENANCE_FLAGS: tuple[str, ...] = ("noout", "norebalance", "nobackfill", "noscrub",
                                      "nodeep-scrub")

#: Of those, the ones Ceph accepts on a CRUSH node (`osd set-group`).
HOST_FLAGS: tuple[str, ...] = ("noout",)

#: Of those, the ones a pool has of its own.
POOL_FLAGS: tuple[str, ...] = ("noscrub", "nodeep-scrub")

#: The ledger key prefix under which a flag's state before the maintenance is recorded.
LEDGER_PREFIX = "flag"
#: A pool's scope in a ledger key: "/" cannot be part of a host name, so no host clashes.
_POOL_SCOPE = "pool/"
_CLUSTER_SCOPE = "cluster"


class FlagError(InvalidInput):
    """Flags that cannot be set the way they were asked for."""


def check_flags(flags: Iterable[str], hosts: Sequence[str] | None = None,
                pools: Sequence[str] | None = None) -> tuple[str, ...]:
    """The flags, deduplicated in the canonical order; FlagError naming any refused one."""
    wanted = list(dict.fromkeys(flags))
    if not wanted:
        raise FlagError("no flags given")
    if hosts is not None and pools is not None:
        raise FlagError("flags go on hosts or on pools, not both in one step")
    allowed, where = ((MAINTENANCE_FLAGS, "cluster-wide") if hosts is None and pools is None
                      else (HOST_FLAGS, "per host (osd set-group)") if pools is None
                      else (POOL_FLAGS, "per pool (osd pool set)"))
    refused = [f for f in wanted if f not in allowed]
    if refused:
        raise FlagError(f"flag(s) {', '.join(refused)} cannot be set {where}; "
                        f"allowed: {', '.join(allowed)}")
    if (hosts is not None and not hosts) or (pools is not None and not pools):
        raise FlagError("an empty list of hosts or pools: give some, or None for "
                        "cluster-wide flags")
    return tuple(f for f in MAINTENANCE_FLAGS if f in wanted)


@dataclass(frozen=True)
class FlagTarget:
    """Where a flag lives: on the whole cluster, on one host bucket, or on one pool."""

    flag: str
    host: str | None = None
    pool: str | None = None

    @property
    def ledger_key(self) -> str:
        """The ledger key holding whether the flag was set before the maintenance."""
        scope = (f"{_POOL_SCOPE}{self.pool}" if self.pool is not None
                 else self.host or _CLUSTER_SCOPE)
        return f"{LEDGER_PREFIX}:{scope}:{self.flag}"

    @classmethod
    def from_key(cls, key: str) -> FlagTarget | None:
        """The target a ledger key names; None for a key that is not a flag's."""
        head, _, rest = key.partition(":")
        scope, _, flag = rest.rpartition(":")
        if head != LEDGER_PREFIX or not scope or flag not in MAINTENANCE_FLAGS:
            return None
        if scope.startswith(_POOL_SCOPE):
            return cls(flag, pool=scope[len(_POOL_SCOPE):])
        return cls(flag) if scope == _CLUSTER_SCOPE else cls(flag, host=scope)

    def describe(self) -> str:
        """E.g. "noout", "noout on node2" or "noscrub on pool rbd"."""
        if self.pool is not None:
            return f"{self.flag} on pool {self.pool}"
        return self.flag if self.host is None else f"{self.flag} on {self.host}"

    def is_set(self, dump: OsdDump) -> bool:
        """Whether the flag is set now, where it lives."""
        present = (dump.flags_of_pool(self.pool) if self.pool is not None
                   else dump.flags if self.host is None else dump.host_flags(self.host))
        return self.flag in present


def targets(flags: Sequence[str], hosts: Sequence[str] | None,
            pools: Sequence[str] | None = None) -> tuple[FlagTarget, ...]:
    """Every (flag, host or pool) pair asked for; cluster-wide when both are None."""
    if pools is not None:
        return tuple(FlagTarget(f, pool=p) for p in dict.fromkeys(pools) for f in flags)
    if hosts is None:
        return tuple(FlagTarget(f) for f in flags)
    return tuple(FlagTarget(f, h) for h in dict.fromkeys(hosts) for f in flags)


def to_restore(set_before: bool | None, set_now: bool) -> bool:
    """Whether restoring unsets a flag: only one this maintenance set and still set.

    set_before is what the ledger recorded when the maintenance set the flag (None: it never
    did). A flag that was already set, by an operator or another maintenance, stays.
    """
    return set_before is False and set_now


def flag_changes(changes: Sequence[FlagTarget], verb: str) -> list[Change]:
    """The commands that set (verb "set") or unset ("unset") flags; host flags in one go."""
    commands = [Change(f"osd {verb}", {"key": t.flag}, f"osd {verb} {t.flag}")
                for t in changes if t.host is None and t.pool is None]
    value = "1" if verb == "set" else "0"
    commands += [Change("osd pool set", {"pool": t.pool, "var": t.flag, "val": value},
                        f"osd pool set {t.pool} {t.flag} {value}")
                 for t in changes if t.pool is not None]
    by_flag: dict[str, list[str]] = {}
    for t in changes:
        if t.host is not None:
            by_flag.setdefault(t.flag, []).append(t.host)
    commands += [Change(f"osd {verb}-group", {"flags": flag, "who": hosts},
                        f"osd {verb}-group {flag} {' '.join(hosts)}")
                 for flag, hosts in by_flag.items()]
    return commands


def restore_flag_changes(recorded: Mapping[str, object], dump: OsdDump) -> list[Change]:
    """The commands that unset every recorded flag this maintenance set and is still set."""
    undo = [t for key, before in recorded.items()
            if (t := FlagTarget.from_key(key)) is not None
            and to_restore(before if isinstance(before, bool) else None, t.is_set(dump))]
    return flag_changes(undo, "unset")
