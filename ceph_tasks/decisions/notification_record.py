"""Which technician channels a maintenance already used: ledger keys and decisions (pure).

Chat webhooks and SMTP relays cannot be asked whether a message went out, so each send is
recorded in the ledger after it succeeded, and a re-run skips the channels recorded.

A crash between a send and its record makes the re-run send again: delivery is
at-least-once, chosen on purpose. The opposite order (record, then send) is at-most-once,
and a crash there loses the message silently while the workflow waits for a technician
who was never told; a second identical message, quoting the same reference, costs a
technician a glance. Tickets need no such record: the tracker finds the maintenance's
ticket by its label, and its key is recorded for the gate.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Where the key of the maintenance's ticket is kept (one ticket per reference).
TICKET_KEY = "ticket"


def channel_names(kinds: Sequence[str]) -> tuple[str, ...]:
    """A stable name per channel: its kind, numbered from the second of a kind on."""
    names: list[str] = []
    for kind in kinds:
        count = sum(1 for k in kinds[: len(names)] if k == kind)
        names.append(kind if count == 0 else f"{kind}-{count + 1}")
    return tuple(names)


def notified_key(host: str, action: str, channel: str) -> str:
    """The ledger key recording that a channel told technicians about an action on a host."""
    return f"notified:{host}:{channel}:{action}"


def to_send(channels: Sequence[str], recorded: Sequence[str]) -> tuple[str, ...]:
    """The channels not yet recorded as sent, in order."""
    done = set(recorded)
    return tuple(c for c in channels if c not in done)
