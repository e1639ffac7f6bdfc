"""`cephmaint watch`: look at a cluster for failed and failing disks, and act on the policy.

One look reads Ceph (status, osd tree, osd dump, pools, the manager's device list), what the
watch did before (its records in the ledger, under the reference `watch.CLUSTER`) and the
maintenances that hold the cluster (leases and queue); the pure
ceph_tasks.decisions.disk_failures decides. Operators are told once per failure, with the
plan and the one command that approves it, and a ticket is opened that the replacement
then carries; an automatic start goes through the same admission and lease as `run`.
"""

from __future__ import annotations

import hashlib
import shlex
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.audit import Scope
from ceph_tasks.audit.adapters import AuditedCephClient, AuditedNotifier, AuditedTickets
from ceph_tasks.audit.trail import within
from ceph_tasks.ceph import Ceph, CephClient, RadosClient
from ceph_tasks.ceph.models import CephDevice
from ceph_tasks.decisions import movers
from ceph_tasks.decisions.disk_failures import (
    Action,
    Failure,
    FailureKind,
    Look,
    Memory,
    Verdict,
    decide,
)
from ceph_tasks.errors import CephError, CephTaskError
from ceph_tasks.ledger import Ledger, RedisLedger
from ceph_tasks.notify import TechnicianNotifier, notifiers_for, tracker_for
from ceph_tasks.notify.message import TechnicianMessage, channel_kind
from ceph_tasks.reference import check_reference
from inventory import Cluster, FailingDevices
from workflows.admission import check_start
from workflows.audit import trail_of
from workflows.errors import WorkflowsError
from workflows.leases import RedisLeases
from workflows.plan import MaintenancePlan
from workflows.planning import Kind, drained_by, plan_maintenance
from workflows.queueing import RedisQueue
from workflows.snapshot import read_cluster_state
from workflows.state import ClusterState
from workflows.submission import submit

TOLD = "told:"
STARTED = "started:"


def watch_reference(cluster: str) -> str:
    """The ledger reference under which the watch of a cluster keeps its records."""
    return f"watch.{cluster}"


@dataclass(frozen=True)
class Outcome:
    """One verdict of a look and what the watch did about it."""

    verdict: Verdict
    #: What was done: "told (email, ticket OPS-7)", "started disk.node1-osd3.ab12cd34", "".
    done: str = ""
    #: The command an operator runs to approve the replacement.
    command: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        failure = self.verdict.failure
        return {"osd": failure.osd, "host": failure.host, "kind": str(failure.kind),
                "detail": failure.detail, "action": str(self.verdict.action),
                "reason": self.verdict.reason, "done": self.done, "command": self.command}


def proposal_reference(cluster: str, failure: Failure) -> str:
    """The reference a failure's messages and ticket carry, one per failure."""
    digest = hashlib.sha1(failure.episode.encode(), usedforsecurity=False).hexdigest()[:8]
    return check_reference(f"failure.{cluster}-osd{failure.osd}.{digest}"[-64:])


def approve_command(cluster: str, failure: Failure, ticket: str | None) -> str:
    """The one command that starts the replacement an operator approves."""
    words = ["cephmaint", "run", "disk", f"osd.{failure.osd}", "--cluster", cluster]
    if failure.kind is FailureKind.FAILED:
        words.append("--failed")
    if ticket:
        words += ["--ticket", ticket]
    return shlex.join(words)


class Watcher:
    """Looks at clusters and acts on their failure policies, for the command line and beat."""

    def __init__(self, app: Celery, *, now: Callable[[], datetime],
                 connect: Callable[[Cluster], CephClient] = RadosClient.for_cluster) -> None:
        self.app = app
        self.now = now
        self.connect = connect
        redis_url = settings_of(app).redis_url
        self.ledger: Ledger = RedisLedger.from_url(redis_url)
        self.leases = RedisLeases.from_url(redis_url)
        self.queue = RedisQueue.from_url(redis_url)
        self.trail = trail_of(app)

    def look(self, cluster: Cluster, *, auto: bool | None = None) -> list[Outcome]:
        """One look at a cluster: decide on every failure found and act on each verdict."""
        scope = Scope(actor=f"cephmaint watch on {socket.gethostname()}",
                      cluster=cluster.name, reference=watch_reference(cluster.name))
        with within(scope):
            client = AuditedCephClient(self.connect(cluster), self.trail, cluster.name)
            try:
                ceph = Ceph(client)
                look = _read_look(ceph, self.now())
                self._self_heal(ceph, cluster)
            finally:
                client.close()
            verdicts = decide(look, cluster, self._memory(cluster), auto=auto)
            return [self._act(cluster, v) for v in verdicts]

    def _memory(self, cluster: Cluster) -> Memory:
        records = self.ledger.entries(watch_reference(cluster.name))
        started = {key[len(STARTED):]: datetime.fromisoformat(str(value["at"]))
                   for key, value in records.items()
                   if key.startswith(STARTED) and isinstance(value, dict)}
        busy_hosts: dict[str, str] = {}
        busy_osds: dict[int, str] = {}
        held = [(h.reference, h.hosts) for h in self.leases.holders(cluster.name)]
        held += [(q.reference, tuple(q.entry["plan"].get("hosts", ())))
                 for q in self.queue.waiting(cluster.name)]
        for reference, hosts in held:
            busy_hosts.update({host: reference for host in hosts})
            plan = self.ledger.recall(reference, "plan")
            osds = plan.get("osds", ()) if isinstance(plan, dict) else ()
            busy_osds.update({int(osd): reference for osd in osds})
        told = frozenset(key[len(TOLD):] for key in records if key.startswith(TOLD))
        return Memory(told=told, started=started, busy_osds=busy_osds, busy_hosts=busy_hosts)

    def _self_heal(self, ceph: Ceph, cluster: Cluster) -> None:
        """devicehealth's self_heal off while cephmaint acts on failing devices (recorded
        first), back as it was once the inventory hands them back to Ceph."""
        reference = watch_reference(cluster.name)
        current = movers.config_flag(ceph.config_get("mgr", movers.SELF_HEAL_OPTION))
        recorded = self.ledger.recall(reference, movers.SELF_HEAL_KEY)
        acting = cluster.failures.failing_devices
        change = movers.self_heal_change(acting, current, recorded)
        if change is not None and acting is FailingDevices.CEPHMAINT:
            self.ledger.remember(reference, movers.SELF_HEAL_KEY, current)
        if change is not None:
            ceph.client.mon_command(change.prefix, **change.args)
        if acting is FailingDevices.CEPH and recorded is not None:
            self.ledger.forget(reference, movers.SELF_HEAL_KEY)

    def _act(self, cluster: Cluster, verdict: Verdict) -> Outcome:
        failure = verdict.failure
        if verdict.action is Action.START:
            return self._start(cluster, verdict)
        if not verdict.tell:
            return Outcome(verdict)
        ticket, command, reached = self._tell(cluster, verdict)
        self.ledger.remember(watch_reference(cluster.name), TOLD + failure.episode,
                             {"at": self.now().isoformat(), "action": str(verdict.action),
                              "ticket": ticket, "command": command})
        return Outcome(verdict, f"told ({', '.join(reached) or 'no channel configured'})",
                       command)

    def _plan(self, cluster: Cluster, failure: Failure, ticket: str | None = None
              ) -> tuple[MaintenancePlan, ClusterState]:
        """The replacement of a failure's disk, planned on the cluster as it is now."""
        target = f"osd.{failure.osd}"
        failed = failure.kind is FailureKind.FAILED
        state = read_cluster_state(cluster, self.connect,
                                   drained=None if failed else drained_by(Kind.DISK, target))
        return plan_maintenance(Kind.DISK, target, cluster=cluster, state=state,
                                failed=failed, ticket=ticket), state

    def _tell(self, cluster: Cluster, verdict: Verdict) -> tuple[str | None, str, list[str]]:
        """Tell the cluster's channels and open a ticket: its key, the approving command,
        and what was reached."""
        failure = verdict.failure
        try:
            plan, _ = self._plan(cluster, failure)
            planned = f"Plan ({plan.kind}):\n{plan.render()}"
        except (WorkflowsError, CephTaskError) as e:
            planned = f"No replacement can be planned now: {e}"
        verb = {Action.PAGE: "needs a person", Action.WAIT: "will be replaced"}.get(
            verdict.action, "replacement proposed")
        subject = (f"[{cluster.name}] osd.{failure.osd} on {failure.host or '?'} "
                   f"{failure.kind}: {verb}")
        body = f"{failure.detail}.\n{verdict.action}: {verdict.reason}.\n\n{planned}\n"
        reference = proposal_reference(cluster.name, failure)
        reached: list[str] = []
        ticket = None
        tracker = self._tickets(cluster)
        if tracker is not None:
            try:
                ticket = tracker.notify(TechnicianMessage(subject, body, reference,
                                                          cluster.name, failure.host or ""))
                reached.append(f"ticket {ticket}")
            except CephTaskError as e:
                reached.append(f"ticket failed: {e}")
        command = ("" if verdict.action is Action.PAGE
                   else approve_command(cluster.name, failure, ticket))
        if command:
            body += f"\nApprove it with:\n  {command}\n"
        message = TechnicianMessage(subject, body, reference, cluster.name, failure.host or "")
        for notifier in self._notifiers(cluster):
            try:
                notifier.notify(message)
                reached.append(channel_kind(notifier))
            except CephTaskError as e:
                reached.append(f"{channel_kind(notifier)} failed: {e}")
        return ticket, command, reached

    def _start(self, cluster: Cluster, verdict: Verdict) -> Outcome:
        """Start the replacement as `run` would (admission, lease), on the ticket it was told on."""
        failure = verdict.failure
        reference = watch_reference(cluster.name)
        told = self.ledger.recall(reference, TOLD + failure.episode)
        ticket = told.get("ticket") if isinstance(told, dict) else None
        try:
            plan, state = self._plan(cluster, failure, ticket)
            check_start(plan, cluster, state, self.now())
            handle = submit(plan, self.app)
        except (WorkflowsError, CephTaskError) as e:
            # Tried again at the next look; the operators are told the first time.
            held = self._act(cluster, replace(verdict, action=Action.WAIT,
                                               reason=f"not started: {e}", tell=told is None))
            return replace(held, done=f"not started ({held.done or 'told before'})")
        self.ledger.remember(reference, STARTED + failure.episode,
                             {"at": self.now().isoformat(), "reference": handle.id})
        return Outcome(verdict, f"started {handle.id}")

    def _notifiers(self, cluster: Cluster) -> Sequence[TechnicianNotifier]:
        return [AuditedNotifier(n, self.trail) for n in notifiers_for(cluster.notifications)]

    def _tickets(self, cluster: Cluster) -> AuditedTickets | None:
        tracker = tracker_for(cluster.notifications)
        return None if tracker is None else AuditedTickets(tracker, self.trail)


def _read_look(ceph: Ceph, now: datetime) -> Look:
    """What one look reads; a manager that cannot list devices lists none."""
    devices: tuple[CephDevice, ...]
    try:
        devices = ceph.device_ls()
    except CephError:
        devices = ()
    dump = ceph.osd_dump()
    since = {}
    for osd, epoch in dump.down_at.items():
        try:
            made = ceph.osd_dump_at(epoch).modified
        except CephError:
            continue  # trimmed: the monitors keep the recent epochs only; down for long
        if made is not None:
            since[osd] = made
    return Look(now=now, status=ceph.status(), tree=ceph.osd_tree(), dump=dump,
                pools=ceph.pool_ls_detail(), devices=devices, down_since=since)
