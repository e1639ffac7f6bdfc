"""Putting back what a maintenance changed, from what the ledger recorded (pure): one path.

Every change a maintenance makes is recorded in the ledger before it is made, under a key
whose prefix names its kind: OSD daemons it stopped, flags (cluster, host and pool), Ceph's
background movers, per-OSD recovery settings, monitoring downtimes, and the CRUSH weights
of drained OSDs. The restore task reads them all and puts back those asked for, whoever
calls it: the end of a plan, a finaliser after a failure or a cancel, the guardian, a retry.
Weights and upmap items are not restored here: raising OSDs back moves data, so that goes
through the reweight task and its throttle; and an upmap item holds a PG where its data is,
so taking it away moves data too (the plan names the pins that stay; the balancer releases
them when worth it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from ceph_tasks.ceph.models import OsdDump, Pool
from ceph_tasks.ceph.models.config_db import ConfigEntry
from ceph_tasks.decisions import (
    downtime_window,
    flag_plan,
    movers,
    recovery_settings,
    reweight_plan,
    upmaps,
)
from ceph_tasks.decisions.change import Change


class Kind(StrEnum):
    """The kinds of change a maintenance records, each under its own ledger key prefix."""

    DAEMONS = "daemons"
    FLAGS = "flags"
    MOVERS = "movers"
    RECOVERY = "recovery"
    DOWNTIMES = "downtimes"
    WEIGHTS = "weights"
    LOCATES = "locates"
    UPMAPS = "upmaps"


#: The ledger key prefix of an OSD daemon a maintenance stopped (a host's work without drain).
DAEMON_PREFIX = "daemon-stopped"
#: The ledger key prefix of a drive's identify LED a maintenance lit for the technicians.
LOCATE_PREFIX = "locate-lit"

#: The prefix of each kind's ledger keys.
PREFIXES: dict[Kind, str] = {
    Kind.DAEMONS: f"{DAEMON_PREFIX}:",
    Kind.FLAGS: f"{flag_plan.LEDGER_PREFIX}:",
    Kind.MOVERS: f"{movers.LEDGER_PREFIX}:",
    Kind.RECOVERY: f"{recovery_settings.LEDGER_PREFIX}:",
    Kind.DOWNTIMES: f"{downtime_window.LEDGER_PREFIX}:",
    Kind.WEIGHTS: f"{reweight_plan.LEDGER_PREFIX}:",
    Kind.LOCATES: f"{LOCATE_PREFIX}:",
    Kind.UPMAPS: f"{upmaps.LEDGER_PREFIX}:",
}

#: What the restore task puts back, in this order: a host's daemons start before its noout
#: is lifted. Weights come back through the throttled reweight.
RESTORED_HERE: tuple[Kind, ...] = (Kind.DAEMONS, Kind.FLAGS, Kind.MOVERS, Kind.RECOVERY,
                                   Kind.DOWNTIMES, Kind.LOCATES)


def kinds_of(names: Iterable[str] | None) -> tuple[Kind, ...]:
    """The kinds named (all restorable ones for None); ValueError naming an unknown one."""
    if names is None:
        return RESTORED_HERE
    kinds = {Kind(n) for n in names}
    if Kind.WEIGHTS in kinds:
        raise ValueError("weights are raised back by the reweight task, under its throttle")
    if Kind.UPMAPS in kinds:
        raise ValueError("upmap items hold PGs where their data is: taking them away moves "
                         "data, the balancer's to judge")
    return tuple(k for k in RESTORED_HERE if k in kinds)


def restorable_key(key: str) -> bool:
    """Whether a ledger key records a change (of any kind) that a restore would put back."""
    return key.startswith(tuple(PREFIXES.values()))


def recorded(entries: Mapping[str, Any], kinds: Iterable[Kind]) -> dict[str, Any]:
    """The ledger entries of these kinds."""
    prefixes = tuple(PREFIXES[k] for k in kinds)
    return {key: value for key, value in entries.items() if key.startswith(prefixes)}


def ceph_restores(entries: Mapping[str, Any], dump: OsdDump, pools: Iterable[Pool],
                  balancer: Mapping[str, Any]) -> list[Change]:
    """The commands putting back the recorded flags and movers that are still as we left them.

    A flag or mover someone changed since (set by hand, turned on again) is left as it is.
    """
    return (flag_plan.restore_flag_changes(recorded(entries, [Kind.FLAGS]), dump)
            + movers.restore_changes(recorded(entries, [Kind.MOVERS]), balancer, pools))


def recovery_restores(entries: Mapping[str, Any], config: Iterable[ConfigEntry]
                      ) -> list[Change]:
    """The commands putting back the recorded per-OSD recovery settings still ours."""
    return recovery_settings.restore_changes(recorded(entries, [Kind.RECOVERY]), config)


def downtime_hosts(entries: Mapping[str, Any]) -> list[str]:
    """The hosts whose monitoring downtime is recorded, in the order recorded."""
    prefix = PREFIXES[Kind.DOWNTIMES]
    return [key[len(prefix):] for key in entries if key.startswith(prefix)]


def daemon_key(host: str, osd_id: int) -> str:
    """The ledger key recording that the maintenance stopped osd.ID on host."""
    return f"{DAEMON_PREFIX}:{host}:{osd_id}"


def stopped_daemons(entries: Mapping[str, Any]) -> dict[str, list[int]]:
    """The OSDs the maintenance stopped, by host (hosts in the order recorded)."""
    found: dict[str, list[int]] = {}
    for key in recorded(entries, [Kind.DAEMONS]):
        host, _, osd = key[len(PREFIXES[Kind.DAEMONS]):].rpartition(":")
        if host and osd.isdigit():
            found.setdefault(host, []).append(int(osd))
    return {host: sorted(osds) for host, osds in found.items()}


def locate_key(host: str, device: str) -> str:
    """The ledger key recording that the maintenance lit device's identify LED on host."""
    return f"{LOCATE_PREFIX}:{host}:{device}"


def lit_locates(entries: Mapping[str, Any]) -> dict[str, list[str]]:
    """The devices whose LED the maintenance lit, by host (in the order recorded)."""
    found: dict[str, list[str]] = {}
    for key in recorded(entries, [Kind.LOCATES]):
        host, _, device = key[len(PREFIXES[Kind.LOCATES]):].partition(":")
        if host and device:
            found.setdefault(host, []).append(device)
    return found
