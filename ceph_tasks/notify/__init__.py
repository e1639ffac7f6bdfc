"""Telling datacenter technicians what to do: message, chat, e-mail and tickets."""

from ceph_tasks.notify.channels import notifiers_for, tracker_for
from ceph_tasks.notify.chat import ChatNotifier
from ceph_tasks.notify.email import EmailNotifier
from ceph_tasks.notify.message import TechnicianMessage, TechnicianNotifier, build_message
from ceph_tasks.notify.ticket import TicketClient, TicketState, TicketTracker

__all__ = [
    "ChatNotifier",
    "EmailNotifier",
    "TechnicianMessage",
    "TechnicianNotifier",
    "TicketClient",
    "TicketState",
    "TicketTracker",
    "build_message",
    "notifiers_for",
    "tracker_for",
]
