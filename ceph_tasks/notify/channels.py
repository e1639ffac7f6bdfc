"""The channels a cluster's notification targets name: chat, e-mail, and its ticket system."""

from __future__ import annotations

from ceph_tasks.notify.chat import ChatNotifier
from ceph_tasks.notify.email import EmailNotifier
from ceph_tasks.notify.message import TechnicianNotifier
from ceph_tasks.notify.ticket import TicketClient
from inventory import NotificationTargets


def notifiers_for(targets: NotificationTargets) -> list[TechnicianNotifier]:
    """The chat and e-mail channels the targets name, in that order."""
    found: list[TechnicianNotifier] = []
    if targets.chat is not None:
        found.append(ChatNotifier(targets.chat))
    if targets.email is not None:
        found.append(EmailNotifier(targets.email))
    return found


def tracker_for(targets: NotificationTargets) -> TicketClient | None:
    """The ticket system the targets name, if they name one."""
    return None if targets.ticket is None else TicketClient(targets.ticket)
