"""Datacenter technicians: tell them what to do, then wait until one confirms it is done.

notify_technicians sends the message on every chat and e-mail channel of the cluster and
opens (or comments) the maintenance's ticket; each channel is recorded once it has sent,
so a re-run sends only what is missing (at-least-once: see
ceph_tasks.decisions.notification_record).
wait_for_technician is a repeating task (a Celery retry per look) that opens on a
confirmation in the ledger (`cephmaint confirm`) or on the ticket's done state; when it
expects new disk serials, they are checked against what the host reports (see
ceph_tasks.decisions.technician_gate).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.notification_record import (
    TICKET_KEY,
    channel_names,
    notified_key,
    to_send,
)
from ceph_tasks.decisions.technician_gate import (
    Confirmation,
    TicketView,
    assess_gate,
    check_evidence,
    confirmation_key,
    needs_host_report,
)
from ceph_tasks.errors import CephTaskError, InvalidInput, TaskFailed
from ceph_tasks.names import TaskName
from ceph_tasks.notify import TechnicianMessage, TicketTracker, build_message
from ceph_tasks.notify.message import channel_kind
from ceph_tasks.notify.ticket import check_key
from ceph_tasks.remote.devices import HostDeviceReport
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from inventory import Host

#: Technicians work in shifts and wait for parts: a week before the gate gives up.
DEFAULT_TIMEOUT = 7 * 24 * 3600.0
DEFAULT_INTERVAL = 60.0

#: Ticket status names counted as done when the tracker reports no status category.
_DONE_STATUSES = frozenset({"done", "closed", "resolved"})


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.NOTIFY_TECHNICIANS)  # type: ignore[untyped-decorator]
def notify_technicians(self: MaintenanceTask, cluster: str, host: str, reference: str,
                       action: str, device_paths: list[str] | None = None,
                       instructions: str | None = None,
                       ticket: str | None = None) -> dict[str, Any]:
    """Tell technicians what to do on a host, once per channel; record the ticket's key.

    ticket: one already open about it (the watch's proposal): commented, not opened again.
    """
    what = f"cluster {cluster}, host {host}: notify technicians ({action!r})"
    ctx = self.context
    with step(what):
        inventory_host = ctx.host(cluster, host)
        # Where `cephmaint serve` is reached: the message links to its confirmation page.
        public_url = settings_of(self.app).public_url
        try:
            message = build_message(cluster=cluster, host=inventory_host, action=action,
                                    reference=reference, device_paths=device_paths or (),
                                    instructions=instructions, public_url=public_url)
        except (ValueError, InvalidInput) as e:
            refuse(what, str(e))
        notifiers = ctx.notifiers(cluster)
        tracker = ctx.tickets(cluster)
        names = channel_names([channel_kind(n) for n in notifiers])
        recorded = [n for n in names
                    if ctx.ledger.recall(reference, notified_key(host, action, n)) is not None]
    pending = set(to_send(names, recorded))
    sent: list[str] = []
    failed: list[str] = []
    for name, notifier in zip(names, notifiers, strict=True):
        if name not in pending:
            continue
        self.progress(cluster=cluster, host=host, doing=f"notifying technicians by {name}")
        try:
            receipt = notifier.notify(message)
        except CephTaskError as e:
            failed.append(f"channel {name}: {e}")
            continue
        with step(what):
            ctx.ledger.remember(reference, notified_key(host, action, name),
                                {"receipt": receipt, "at": ctx.now().isoformat()})
        sent.append(name)
    key: str | None = None
    if tracker is not None:
        try:
            key, ticket_sent = _ticket(self, tracker, message, host, action, ticket)
            (sent if ticket_sent else recorded).append("ticket")
        except CephTaskError as e:
            failed.append(f"ticket: {e}")
    if failed:
        raise TaskFailed(f"{what}: {len(failed)} channel(s) failed (the others are recorded "
                         f"as sent and will not repeat): {'; '.join(failed)}")
    return {"cluster": cluster, "host": host, "reference": reference, "sent": sent,
            "already_sent": recorded, "ticket": key}


def _ticket(task: MaintenanceTask, tracker: TicketTracker, message: TechnicianMessage,
            host: str, action: str, given: str | None) -> tuple[str, bool]:
    """The maintenance's ticket key, opened or commented for this action unless it was."""
    ledger, reference = task.context.ledger, message.reference
    done_key = notified_key(host, action, "ticket")
    if given is not None:
        ledger.remember(reference, TICKET_KEY, check_key(given))
    key = ledger.recall(reference, TICKET_KEY)
    if key is not None and ledger.recall(reference, done_key) is not None:
        return str(key), False
    if key is None:
        # The tracker finds a ticket opened before a crash by its label: no second one.
        key = ledger.remember(reference, TICKET_KEY, tracker.notify(message))
        receipt = str(key)
    else:
        receipt = tracker.comment(str(key), f"{message.subject}\n\n{message.body}")
    ledger.remember(reference, done_key, {"receipt": receipt,
                                          "at": task.context.now().isoformat()})
    return str(key), True


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.WAIT_FOR_TECHNICIAN)  # type: ignore[untyped-decorator]
def wait_for_technician(self: MaintenanceTask, cluster: str, host: str, reference: str,
                        expect_serials: int | None = None,
                        device_paths: list[str] | None = None,
                        timeout: float = DEFAULT_TIMEOUT,
                        interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Wait until a technician confirms (with new disk serials when expected) or closes the ticket.

    expect_serials: how many new disk serials the confirmation must carry, each reported by
    the host (on device_paths when given) and none the serial of a disk that was pulled.
    """
    what = f"cluster {cluster}, host {host}: wait for a technician"
    expected = expect_serials or 0
    paths = tuple(device_paths or ())
    if expected < 0 or interval <= 0 or timeout <= 0:
        refuse(what, "expect_serials must not be negative; interval and timeout positive")
    if paths and expected > len(paths):
        refuse(what, f"{expected} new serials cannot fit on {len(paths)} device(s)")
    ctx = self.context
    with step(what):
        inventory_host = ctx.host(cluster, host)
        old = _old_serials(inventory_host, paths)
        since = str(ctx.ledger.remember(reference, f"technician-wait:{host}:{self.request.id}",
                                        ctx.now().isoformat()))
        raw = (ctx.ledger.recall(reference, confirmation_key(host))
               or ctx.ledger.recall(reference, confirmation_key(None)))
    try:
        confirmation = None if raw is None else Confirmation.from_json(raw)
    except ValueError as e:
        raise TaskFailed(f"{what}: the ledger of {reference} holds a garbled confirmation: "
                         f"{e}") from e
    ticket, ticket_trouble = _ticket_view(self, cluster, reference)
    problems: tuple[str, ...] = ()
    if confirmation is not None and needs_host_report(expected, confirmation):
        try:
            reported = HostDeviceReport(ctx.executor).serials(inventory_host)
            problems = check_evidence(confirmation.serials, expected=expected,
                                      device_paths=paths, reported=reported, old=old)
        except CephTaskError as e:
            # During a swap the host may well be off: not a failure, a reason to look again.
            problems = (f"the host's disks could not be read: {e}",)
    verdict = assess_gate(reference=reference, expected=expected, confirmation=confirmation,
                          ticket=ticket, problems=problems)
    report: dict[str, Any] = {"cluster": cluster, "host": host, "reference": reference,
                              "waiting_for": verdict.waiting_for, "since": since}
    if verdict.released:
        return {**report, "released_by": verdict.by}
    notes = [n for n in (verdict.rejected, ticket_trouble) if n]
    self.progress(**report, rejected=verdict.rejected, ticket_trouble=ticket_trouble)
    self.again(reference=reference, countdown=interval, timeout=timeout,
               waiting_for=f"{what}: {verdict.waiting_for}",
               last_seen="; ".join(notes) or f"no confirmation since {since}")


def _old_serials(host: Host, paths: tuple[str, ...]) -> dict[str, str | None]:
    """The serials of the disks to be pulled, as the inventory (and the message) has them."""
    devices = [host.device(p) for p in paths] if paths else list(host.devices)
    return {d.path: d.serial for d in devices}


def _ticket_view(task: MaintenanceTask, cluster: str,
                 reference: str) -> tuple[TicketView | None, str | None]:
    """The maintenance's ticket as the gate sees it, and why it could not be read, if so."""
    ctx = task.context
    with step(f"cluster {cluster}: read the ticket of {reference}"):
        key = ctx.ledger.recall(reference, TICKET_KEY)
        tracker = ctx.tickets(cluster)
    if key is None or tracker is None:
        return None, None
    try:
        state = getattr(tracker, "ticket_state", None)
        if state is not None:
            found = state(str(key))
            return TicketView(str(key), found.status, bool(found.done)), None
        status = tracker.ticket_status(str(key))
        return TicketView(str(key), status, status.strip().lower() in _DONE_STATUSES), None
    except CephTaskError as e:
        # A tracker briefly down must not end a wait of days: look again next time.
        return None, f"ticket {key} could not be read: {e}"
