"""In-memory notifiers and ticket tracker, for tests of the tasks that use them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ceph_tasks.errors import NotificationError
from ceph_tasks.notify.message import TechnicianMessage


@dataclass
class InMemoryNotifier:
    """A TechnicianNotifier that keeps what it was given."""

    sent: list[TechnicianMessage] = field(default_factory=list)
    fail_with: str | None = None

    def notify(self, message: TechnicianMessage) -> str:
        """Record the message; return its position as the receipt."""
        if self.fail_with is not None:
            raise NotificationError(f"notification for host {message.host}: {self.fail_with}")
        self.sent.append(message)
        return str(len(self.sent))


@dataclass
class InMemoryTickets:
    """A ticket tracker: one ticket per reference; statuses are set by the test."""

    project: str = "OPS"
    statuses: dict[str, str] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)
    by_reference: dict[str, str] = field(default_factory=dict)

    def notify(self, message: TechnicianMessage) -> str:
        """Open the maintenance's ticket unless it exists; return its key."""
        if message.reference not in self.by_reference:
            key = f"{self.project}-{len(self.by_reference) + 1}"
            self.by_reference[message.reference] = key
            self.statuses[key] = "Open"
            self.comments[key] = []
        return self.by_reference[message.reference]

    def ticket_status(self, key: str) -> str:
        """The ticket's status name."""
        if key not in self.statuses:
            raise NotificationError(f"reading the status of ticket {key}: not found")
        return self.statuses[key]

    def comment(self, key: str, text: str) -> str:
        """Add a comment; return its id."""
        if key not in self.comments:
            raise NotificationError(f"commenting on ticket {key}: not found")
        self.comments[key].append(text)
        return str(len(self.comments[key]))

    def close(self, key: str, text: str) -> str:
        """Comment, and set the status Done."""
        self.comment(key, text)
        self.statuses[key] = "Done"
        return "Done"
