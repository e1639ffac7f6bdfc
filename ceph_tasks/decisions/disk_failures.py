"""Which disks of a cluster failed or are failing, and what the watch does about each (pure).

A failed disk: its OSD down for longer than the policy's grace (since the osdmap epoch that
marked it down was made; one that comes back sooner, a restart or a flap, starts nothing). A
failing disk: one the manager predicts to fail (`device ls` life expectancy, the
devicehealth module's DEVICE_HEALTH and DEVICE_HEALTH_IN_USE checks) while its OSD serves.
The cluster's policy then proposes a replacement to the operators, or starts it itself
inside the limits an operator would set: a few a day, one failure at a time, only on an
otherwise healthy cluster, inside the windows. More failed at once than the pools can
lose, a whole host down, or more failing devices than Ceph will mark out: a person is
paged. https://docs.ceph.com/en/pacific/rados/operations/devices/
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ceph_tasks.ceph.models import CephDevice, OsdDump, OsdTree, Pool, Status
from ceph_tasks.ceph.models.device_list import osd_ids
from ceph_tasks.decisions.failed_osd import RECOVERY_CODES
from ceph_tasks.decisions.preconditions import start_problems
from ceph_tasks.decisions.windows import window_verdict, windows_for
from inventory import Cluster, FailureAction

#: The manager's checks about devices predicted to fail.
DEVICE_CHECKS = frozenset({"DEVICE_HEALTH", "DEVICE_HEALTH_IN_USE", "DEVICE_HEALTH_TOOMANY"})
#: How long the rate limit of automatic starts looks back.
DAY = timedelta(days=1)

_DAEMONS = re.compile(r"daemons ([^;]*)")
_MARKED_OUT = re.compile(r"osd\.(\d+) is marked out")


class FailureKind(StrEnum):
    """A disk that has failed (its OSD down), or one predicted to fail that still serves."""

    FAILED = "failed"
    FAILING = "failing"


class Action(StrEnum):
    """What the watch does about one finding."""

    #: Down, within the grace: a restart or a flap until it lasts.
    WATCH = "watch"
    #: In hand already: its OSD or host in a maintenance, or started before.
    SKIP = "skip"
    PROPOSE = "propose"
    START = "start"
    #: Would start by itself, once the cluster is otherwise healthy or a window opens.
    WAIT = "wait"
    #: Beyond what a replacement can repair: a person must look.
    PAGE = "page"


@dataclass(frozen=True)
class Failure:
    """One OSD whose disk failed or is failing, and the episode it belongs to."""

    osd: int
    host: str | None
    kind: FailureKind
    #: Since when it is down (failed) or when it is expected to fail (failing).
    since: datetime | None
    detail: str

    @property
    def episode(self) -> str:
        """The key that tells this failure from a later one of the same OSD."""
        when = self.since.isoformat() if self.since is not None else "unknown"
        return f"osd.{self.osd}:{self.kind}:{when}"


@dataclass(frozen=True)
class Look:
    """What one look at a cluster read."""

    now: datetime
    status: Status
    tree: OsdTree
    dump: OsdDump
    pools: tuple[Pool, ...]
    devices: tuple[CephDevice, ...] = ()
    #: Since when each down OSD is down (the osdmap epoch that marked it so was made);
    #: missing when that epoch is trimmed already: down for long.
    down_since: Mapping[int, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Memory:
    """What the watch did before (its records) and what maintenances hold now."""

    #: Episodes the operators were told about (proposed, paged or waiting).
    told: frozenset[str] = frozenset()
    #: Episodes started by the watch, and when.
    started: Mapping[str, datetime] = field(default_factory=dict)
    #: Maintenances live on the cluster: reference by OSD and by host.
    busy_osds: Mapping[int, str] = field(default_factory=dict)
    busy_hosts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What to do about one failure, why, and whether the operators are to be told now."""

    failure: Failure
    action: Action
    reason: str
    #: Tell the operators now: the first look that came to this verdict for the episode.
    tell: bool = False


def find_failures(look: Look, cluster: Cluster) -> list[Failure]:
    """Every down OSD of the cluster (within its grace or not) and every failing device's OSD."""
    found: dict[int, Failure] = {}
    for node in look.tree.osds():
        # Destroyed: a replacement is under way; its id waits for the new disk.
        if node.status is None or node.up or node.status == "destroyed":
            continue
        since = look.down_since.get(node.id)
        found[node.id] = Failure(node.id, look.tree.host_of(node.id), FailureKind.FAILED,
                                 since, f"osd.{node.id} down"
                                 + (f" since {since:%Y-%m-%d %H:%M:%S}" if since else ""))
    horizon = look.now + timedelta(days=cluster.failures.predicted_within_days)
    for device in look.devices:
        expected = device.life_expectancy_max
        if expected is None or expected > horizon:
            continue
        for osd in device.osds:
            if osd not in found:
                found[osd] = Failure(
                    osd, look.tree.host_of(osd), FailureKind.FAILING, expected,
                    f"device {device.devid} of osd.{osd} expected to fail by "
                    f"{expected:%Y-%m-%d}")
    for osd, detail in _osds_in_device_checks(look.status).items():
        if osd not in found:
            found[osd] = Failure(osd, look.tree.host_of(osd), FailureKind.FAILING, None, detail)
    return [found[o] for o in sorted(found)]


def _osds_in_device_checks(status: Status) -> dict[int, str]:
    """The OSDs DEVICE_HEALTH and DEVICE_HEALTH_IN_USE name, with the line naming each."""
    named: dict[int, str] = {}
    checks = status.health.checks
    for line in checks["DEVICE_HEALTH"].detail if "DEVICE_HEALTH" in checks else ():
        if (daemons := _DAEMONS.search(line)) is not None:
            for osd in osd_ids(daemons.group(1).split(",")):
                named.setdefault(osd, f"DEVICE_HEALTH: {line}")
    for line in checks["DEVICE_HEALTH_IN_USE"].detail if "DEVICE_HEALTH_IN_USE" in checks else ():
        if (out := _MARKED_OUT.search(line)) is not None:
            named.setdefault(int(out.group(1)), f"DEVICE_HEALTH_IN_USE: {line}")
    return named


def decide(look: Look, cluster: Cluster, memory: Memory, *, auto: bool | None = None
           ) -> list[Verdict]:
    """What to do about each failure found; auto overrides the policy's action when given."""
    policy = cluster.failures
    automatic = policy.action is FailureAction.AUTO if auto is None else auto
    failures = find_failures(look, cluster)
    grace = timedelta(seconds=policy.down_grace_seconds)
    verdicts: list[Verdict] = []
    lasting: list[Failure] = []
    for failure in failures:
        if (failure.kind is FailureKind.FAILED and failure.since is not None
                and look.now - failure.since < grace):
            held = (look.now - failure.since).total_seconds()
            verdicts.append(Verdict(failure, Action.WATCH, f"down for {held:.0f} s of a "
                                    f"{policy.down_grace_seconds:.0f} s grace"))
        else:
            lasting.append(failure)
    paged = _page_reasons(look, cluster, lasting)
    free = [f for f in lasting if _holder(f, memory) is None and f.osd not in paged]
    for failure in lasting:
        verdicts.append(_one(failure, look, cluster, memory, automatic=automatic,
                             paged=paged.get(failure.osd), together=len(free)))
    return sorted(verdicts, key=lambda v: v.failure.osd)


def _holder(failure: Failure, memory: Memory) -> str | None:
    """The maintenance that has this OSD or its host in hand, if one does."""
    reference = memory.busy_osds.get(failure.osd)
    if reference is None and failure.host is not None:
        reference = memory.busy_hosts.get(failure.host)
    return reference


def _one(failure: Failure, look: Look, cluster: Cluster, memory: Memory, *,
         automatic: bool, paged: str | None, together: int) -> Verdict:
    told = failure.episode in memory.told
    holder = _holder(failure, memory)
    if holder is not None:
        return Verdict(failure, Action.SKIP, f"in maintenance {holder}")
    if failure.episode in memory.started:
        return Verdict(failure, Action.SKIP,
                       f"a replacement was started for it at "
                       f"{memory.started[failure.episode]:%Y-%m-%d %H:%M}; it ended without "
                       "replacing the disk: a person decides what next")
    if paged is not None:
        return Verdict(failure, Action.PAGE, paged, tell=not told)
    if not automatic:
        return Verdict(failure, Action.PROPOSE, "the policy proposes: an operator approves",
                       tell=not told)
    recent = sum(1 for at in memory.started.values() if look.now - at < DAY)
    if recent >= cluster.failures.max_automatic_per_day:
        return Verdict(failure, Action.PROPOSE,
                       f"{recent} automatic replacement(s) in the last 24 h, the most the "
                       f"policy allows: an operator approves", tell=not told)
    if together > 1:
        return Verdict(failure, Action.PROPOSE,
                       f"{together} disks failing at once: an operator decides the order",
                       tell=not told)
    problems = _other_problems(look.status, cluster, failure)
    if problems:
        return Verdict(failure, Action.WAIT, "starts once the cluster is healthy but for it: "
                       + "; ".join(problems), tell=not told)
    hosts = [failure.host] if failure.host is not None else []
    window = window_verdict(windows_for(cluster, hosts), look.now)
    if not window.open:
        return Verdict(failure, Action.WAIT, f"starts in its maintenance window: "
                       f"{window.reason}", tell=not told)
    return Verdict(failure, Action.START, "the policy starts it: "
                   f"{recent + 1} of {cluster.failures.max_automatic_per_day} a day")


def _other_problems(status: Status, cluster: Cluster, failure: Failure) -> list[str]:
    """What keeps the cluster from healthy beyond this failure's own effects.

    A start by hand tolerates warnings raised before it (they only must not get worse);
    nobody is there to judge them for an automatic one: any other check holds it.
    """
    failed = 1 if failure.kind is FailureKind.FAILED else 0
    allowed = (*cluster.health_allowlist, *DEVICE_CHECKS)
    explained = {*allowed, *(RECOVERY_CODES if failed else ())}
    others = [f"{code}: {check.summary.message or check.severity.value}"
              for code, check in sorted(status.health.unmuted_checks().items())
              if code not in explained]
    return [*others, *(p for p in start_problems(status, allowed, failed=failed)
                       if p not in others)]


def _page_reasons(look: Look, cluster: Cluster, failures: Iterable[Failure]
                  ) -> dict[int, str]:
    """The failures a replacement must not follow, and why (by OSD)."""
    failed = [f for f in failures if f.kind is FailureKind.FAILED]
    reasons: dict[int, str] = {}
    hosts = look.tree.hosts()
    for host, osds in sorted(hosts.items()):
        down = [f.osd for f in failed if f.osd in osds]
        if len(osds) > 1 and len(down) == len(osds):
            for osd in down:
                reasons[osd] = (f"every OSD of {host} is down: the host, not a disk, has "
                                "failed")
    domains = look.tree.buckets(cluster.failure_domain_type)
    hit = sorted({name for f in failed for name, osds in domains.items() if f.osd in osds})
    pools = [p for p in look.pools if p.size > 0]
    can_lose = min((p.size - p.min_size for p in pools), default=len(hit))
    if len(hit) > can_lose:
        weakest = min(pools, key=lambda p: p.size - p.min_size)
        for f in failed:
            reasons.setdefault(f.osd, (
                f"disks down in {len(hit)} {cluster.failure_domain_type}s ({', '.join(hit)}): "
                f"pool {weakest.pool_name} (size {weakest.size}, min_size "
                f"{weakest.min_size}) can lose {can_lose}"))
    if "DEVICE_HEALTH_TOOMANY" in look.status.health.checks:
        for f in failures:
            if f.kind is FailureKind.FAILING:
                reasons.setdefault(f.osd, "DEVICE_HEALTH_TOOMANY: more devices are failing "
                                   "than Ceph will mark out (mon_osd_min_in_ratio)")
    return reasons
