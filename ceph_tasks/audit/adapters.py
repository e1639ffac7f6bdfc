"""The clients tasks change things through, each writing to the audit trail first.

Each wraps the real client and has its protocol: the task code does not know it is
audited. Reads pass straight through; only what changes a cluster, a host, a monitoring
system or a person's inbox is written down.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ceph_tasks.audit.entry import Kind, changes_state
from ceph_tasks.audit.trail import Trail, current_scope
from ceph_tasks.ceph.client import BinaryCephClient, CephClient
from ceph_tasks.errors import CephError
from ceph_tasks.ledger import Json, Ledger
from ceph_tasks.monitoring.backend import DowntimeBackend, DowntimeRequest, DowntimeResult
from ceph_tasks.notify.message import TechnicianMessage, TechnicianNotifier, channel_kind
from ceph_tasks.notify.ticket import TicketTracker
from ceph_tasks.remote.argv import CommandResult
from ceph_tasks.remote.executor import RemoteExecutor
from inventory import Host

#: An answer kept in the trail at most this long (as JSON); longer ones are left out.
_ANSWER_LIMIT = 4096


class AuditedCephClient:
    """A Ceph client whose state-changing commands are written to the trail first."""

    def __init__(self, client: CephClient, trail: Trail, cluster: str) -> None:
        self.client, self.trail, self.cluster = client, trail, cluster

    def mon_command(self, prefix: str, **args: Any) -> Any:
        """Run a monitor command; a change is written down before it is sent."""
        if not changes_state(prefix):
            return self.client.mon_command(prefix, **args)
        return self._changing("mon", prefix, args, self.client.mon_command)

    def mgr_command(self, prefix: str, **args: Any) -> Any:
        """Run a manager command; a change is written down before it is sent."""
        if not changes_state(prefix):
            return self.client.mgr_command(prefix, **args)
        return self._changing("mgr", prefix, args, self.client.mgr_command)

    def mon_command_bytes(self, prefix: str, **args: Any) -> bytes:
        """A command's raw output (reads only: `osd getmap`)."""
        if not isinstance(self.client, BinaryCephClient):
            raise CephError(f"{type(self.client).__name__} cannot return raw output")
        return self.client.mon_command_bytes(prefix, **args)

    def close(self) -> None:
        """Release the connection."""
        self.client.close()

    def _changing(self, to: str, prefix: str, args: dict[str, Any],
                  send: Callable[..., Any]) -> Any:
        scope = current_scope() or self.trail.fallback
        with self.trail.action(Kind.CEPH, prefix, details={"to": to, "args": args},
                               scope=scope.on(cluster=self.cluster)) as after:
            answer = send(prefix, **args)
            after.value = _small(answer)
        return answer


class AuditedExecutor:
    """An executor whose every command is written to the trail before it runs."""

    def __init__(self, executor: RemoteExecutor, trail: Trail) -> None:
        self.executor, self.trail = executor, trail

    def run(self, host: Host, argv: Sequence[str], *, timeout: float | None = None,
            check: bool = True) -> CommandResult:
        """Run argv on host, written down first; the exit status after."""
        # Its program and first words name it; the whole argv is in the details.
        named = " ".join([Path(argv[0]).name, *argv[1:3]]) if argv else "?"
        with self.trail.action(Kind.SSH, named, host=host.name,
                               details={"argv": list(argv)}) as after:
            result = self.executor.run(host, argv, timeout=timeout, check=check)
            after.value = {"exit_status": result.exit_status}
        return result


class AuditedDowntimes:
    """A monitoring system whose downtimes and silences are written down as they are set."""

    def __init__(self, backend: DowntimeBackend, trail: Trail) -> None:
        self.backend, self.trail = backend, trail
        #: The wrapped system's name, as the downtime task reports it.
        self.name = str(getattr(backend, "name", type(backend).__name__))

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        """Set a downtime (or find it set), written down first."""
        details = {"backend": self.name, "start": request.start.isoformat(),
                   "end": request.end.isoformat(), "services": list(request.services),
                   "comment": request.stored_comment, "author": request.author}
        with self.trail.action(Kind.DOWNTIME, "set downtime", host=request.host,
                               details=details) as after:
            result = self.backend.set_downtime(request)
            after.value = {"ids": list(result.ids), "created": result.created}
        return result

    def remove_downtime(self, host: str, reference: str) -> int:
        """Remove a maintenance's downtimes of a host, written down first."""
        with self.trail.action(Kind.DOWNTIME, "remove downtime", host=host,
                               details={"backend": self.name}) as after:
            removed = self.backend.remove_downtime(host, reference)
            after.value = {"removed": removed}
        return removed


class AuditedNotifier:
    """A channel to technicians whose messages are written down before they go out."""

    def __init__(self, notifier: TechnicianNotifier, trail: Trail) -> None:
        self.notifier, self.trail = notifier, trail
        #: The wrapped channel's kind (chat, email), as the notifying task names it.
        self.kind = channel_kind(notifier)

    def notify(self, message: TechnicianMessage) -> str:
        """Deliver the message, written down first; the receipt after."""
        details = {"channel": self.kind, "subject": message.subject,
                   "body": message.body}
        with self.trail.action(Kind.NOTIFY, "notify technicians", host=message.host,
                               details=details) as after:
            receipt = self.notifier.notify(message)
            after.value = {"receipt": receipt}
        return receipt


class AuditedTickets(AuditedNotifier):
    """A ticket system whose new tickets and comments are written down before they are sent."""

    def __init__(self, tracker: TicketTracker, trail: Trail) -> None:
        super().__init__(tracker, trail)
        self.tracker = tracker

    def ticket_status(self, key: str) -> str:
        """The ticket's status name (a read)."""
        return self.tracker.ticket_status(key)

    def comment(self, key: str, text: str) -> str:
        """Add a comment, written down first."""
        with self.trail.action(Kind.NOTIFY, "comment on ticket",
                               details={"ticket": key, "text": text}) as after:
            receipt = self.tracker.comment(key, text)
            after.value = {"receipt": receipt}
        return receipt

    def close(self, key: str, text: str) -> str:
        """Comment and close the ticket, written down first."""
        with self.trail.action(Kind.NOTIFY, "close ticket",
                               details={"ticket": key, "text": text}) as after:
            status = self.tracker.close(key, text)
            after.value = {"status": status}
        return status


class AuditedLedger:
    """A ledger whose records of values to put back are mirrored into the trail.

    The ledger stays the one place a restore reads; the trail keeps a copy of each "before"
    value, as history that outlives Redis. Progress and bookkeeping are not copied.
    """

    def __init__(self, ledger: Ledger, trail: Trail, restorable: Callable[[str], bool]) -> None:
        self.ledger, self.trail, self.restorable = ledger, trail, restorable

    def remember(self, reference: str, key: str, value: Json) -> Json:
        """Store value under key unless an entry is there; a first record is mirrored."""
        if not self.restorable(key) or self.ledger.recall(reference, key) is not None:
            return self.ledger.remember(reference, key, value)
        stored = self.ledger.remember(reference, key, value)
        self._mirror(reference, f"record {key}", stored)
        return stored

    def note(self, reference: str, key: str, value: Json) -> None:
        """Store value under key, replacing what is there; records are mirrored."""
        self.ledger.note(reference, key, value)
        if self.restorable(key):
            self._mirror(reference, f"record {key}", value)

    def recall(self, reference: str, key: str) -> Json | None:
        """The entry under key, or None."""
        return self.ledger.recall(reference, key)

    def forget(self, reference: str, key: str) -> None:
        """Drop the entry under key; a record's end (put back or settled) is mirrored."""
        self.ledger.forget(reference, key)
        if self.restorable(key):
            self._mirror(reference, f"forget {key}", None)

    def entries(self, reference: str) -> dict[str, Json]:
        """Every entry of a reference."""
        return self.ledger.entries(reference)

    def _mirror(self, reference: str, action: str, value: Json) -> None:
        scope = (current_scope() or self.trail.fallback).on(reference=reference)
        self.trail.note(Kind.RECORD, action, details={"key": action.split(" ", 1)[1]},
                        before=value, scope=scope)


def _small(answer: Any) -> Any:
    try:
        text = json.dumps(answer, default=str)
    except (TypeError, ValueError):
        return None
    return answer if len(text) <= _ANSWER_LIMIT else None
