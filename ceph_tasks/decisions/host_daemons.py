"""Monitors, managers and MDS daemons on a host that leaves the cluster (pure).

A host retired (or replaced) takes its daemons with it. Before it goes: an active manager
is failed over to a standby (`mgr fail`), an MDS holding a rank is failed over to a
standby (`mds fail`), and a monitor is removed from the monmap (`mon rm`; it shuts itself
down once it sees it is not in it). Each only when what stays can carry on: a standby
manager or MDS up elsewhere, and monitors enough (the inventory's min_monitors) forming a
quorum, counting the daemons a replacement brings up on the new host first (its monitor
joins before the old one leaves: 3 -> 4 -> 3). These changes are recorded but not put
back by the restore: a failover is already what Ceph would do, a monitor of a host that
left has nowhere to return to, and the new host's daemons are what the replacement is for.
https://docs.ceph.com/en/pacific/rados/operations/add-or-rm-mons/
"""

from __future__ import annotations

from collections.abc import Collection

from ceph_tasks.ceph.models.service_daemons import Daemon, DaemonKind, Daemons
from ceph_tasks.decisions.change import Change

#: The ledger key prefix of a daemon handed over before its host left.
LEDGER_PREFIX = "daemon-handed-over"
#: The prefix of a daemon brought up on a host (a replacement's new hardware).
ADDED_PREFIX = "daemon-added"
#: The prefix of a daemon stopped for good on a host that left.
RETIRED_PREFIX = "daemon-retired"


def ledger_key(daemon: Daemon) -> str:
    """The ledger key of one daemon's failover or removal."""
    return f"{LEDGER_PREFIX}:{daemon.entity}"


def runs_on(daemon: Daemon, host: str, hosts: Collection[str]) -> bool:
    """Whether daemon runs on host, one of the cluster's hosts.

    By the hostname in its metadata, when that names one of the hosts (by full name or
    first label); else by its id, which deployment tools derive from the host's short name
    (mon.HOST, mgr.HOST.xyz, mds.FS.HOST.xyz).
    """
    label = host.split(".", 1)[0]
    known = {h for name in hosts for h in (name, name.split(".", 1)[0])}
    if daemon.hostname in known:
        return daemon.hostname in (host, label)
    return label in daemon.name.split(".")


def daemons_on(daemons: Daemons, hosts_leaving: Collection[str],
               hosts: Collection[str]) -> tuple[Daemon, ...]:
    """The monitors, managers and MDS daemons running on any of the hosts leaving."""
    return tuple(d for d in daemons.daemons
                 if any(runs_on(d, h, hosts) for h in hosts_leaving))


def daemon_id(host: str) -> str:
    """The id a daemon of kind mon, mgr or mds gets on a host: its first DNS label."""
    return host.split(".", 1)[0]


def arrived(daemons: Daemons, kind: DaemonKind, host: str, hosts: Collection[str]) -> bool:
    """Whether a new daemon of kind runs on host: a monitor in quorum, a manager or MDS up."""
    return any(d.kind is kind and (d.active or kind is not DaemonKind.MON)
               for d in daemons_on(daemons, [host], hosts))


def handover_problems(daemons: Daemons, hosts_leaving: Collection[str],
                      hosts: Collection[str], min_monitors: int,
                      joining: Collection[DaemonKind] = ()) -> list[str]:
    """Why these hosts' daemons cannot be handed over (one line each; none when they can).

    joining: the kinds a replacement brings up elsewhere first, counted as if already there
    (a monitor in quorum, a standby manager or MDS).
    """
    leaving = set(daemons_on(daemons, hosts_leaving, hosts))
    problems = []
    mons = daemons.of(DaemonKind.MON)
    gone = [m for m in mons if m in leaving]
    if gone:
        left = [m for m in mons if m not in leaving]
        if DaemonKind.MON in joining:
            left.append(Daemon(kind=DaemonKind.MON, name="(new)", active=True))
        quorum = ", ".join(m.name for m in mons if m.active) or "none"
        names = ", ".join(m.entity for m in gone)
        if len(left) < min_monitors:
            problems.append(
                f"removing {names} leaves {len(left)} monitor(s) "
                f"({', '.join(m.name for m in left) or 'none'}), fewer than the inventory's "
                f"min_monitors {min_monitors} (quorum now: {quorum})")
        elif sum(m.active for m in left) <= len(left) // 2:
            problems.append(f"removing {names} leaves no quorum: of the monitors left "
                            f"({', '.join(m.name for m in left)}) too few are in quorum now "
                            f"({quorum})")
    standby_mgr = DaemonKind.MGR in joining or any(
        not d.active and d not in leaving for d in daemons.of(DaemonKind.MGR))
    for mgr in (d for d in leaving if d.kind is DaemonKind.MGR and d.active):
        if not standby_mgr:
            problems.append(f"the active manager {mgr.entity} runs there and no standby "
                            "manager is up elsewhere to take over")
    for mds in (d for d in leaving if d.kind is DaemonKind.MDS and d.active):
        if DaemonKind.MDS not in joining and not _standby_mds(daemons, mds, leaving):
            problems.append(f"{mds.entity} holds a rank of {mds.fs or 'a file system'} and no "
                            "standby MDS is ready elsewhere to take over")
    problems += _standby_shortfall(daemons, leaving, joining)
    return sorted(problems)


def _standby_shortfall(daemons: Daemons, leaving: Collection[Daemon],
                       joining: Collection[DaemonKind]) -> list[str]:
    """File systems left with fewer standby MDS than they want (MDS_INSUFFICIENT_STANDBY)."""
    gone = [d for d in leaving if d.kind is DaemonKind.MDS]
    if not gone:
        return []
    mds = daemons.of(DaemonKind.MDS)
    after = len(mds) - len(gone) + (DaemonKind.MDS in joining)
    standbys = max(after - sum(d.active for d in mds), 0)  # every rank stays held
    names = ", ".join(d.entity for d in gone)
    return [f"removing {names} leaves {standbys} standby MDS, fewer than file system "
            f"{fs} wants (standby_count_wanted {wanted}): add an MDS elsewhere first"
            for fs, wanted in sorted(daemons.standbys_wanted.items()) if standbys < wanted]


def handover_changes(daemons: Daemons, hosts_leaving: Collection[str],
                     hosts: Collection[str]) -> list[tuple[Daemon, Change]]:
    """The failovers and removals still to make, managers and MDS first, monitors last."""
    leaving = daemons_on(daemons, hosts_leaving, hosts)
    changes = []
    for d in leaving:
        if d.kind is DaemonKind.MGR and d.active:
            changes.append((d, Change("mgr fail", {"who": d.name}, f"mgr fail {d.name}")))
        elif d.kind is DaemonKind.MDS and d.active:
            changes.append((d, Change("mds fail", {"role_or_gid": d.name},
                                      f"mds fail {d.name}")))
    changes += [(d, Change("mon rm", {"name": d.name}, f"mon rm {d.name}"))
                for d in leaving if d.kind is DaemonKind.MON]
    return changes


def _standby_mds(daemons: Daemons, mds: Daemon, leaving: Collection[Daemon]) -> bool:
    return any(d.kind is DaemonKind.MDS and not d.active and d not in leaving
               and d.state in ("up:standby", "up:standby-replay") and d.fs in ("", mds.fs)
               for d in daemons.daemons)
