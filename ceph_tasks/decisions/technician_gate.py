"""When a technician's work counts as done: confirmations, their evidence, the gate (pure).

A technician confirms with `cephmaint confirm REFERENCE [--evidence serial=XYZ ...]`, which
writes a Confirmation into the ledger; or closes the maintenance's ticket. When the gate
expects new disk serials (a disk swap), only a confirmation carrying them releases it, and
only when the host reports those serials on the swapped devices and none of them is the
serial of a disk that was to be pulled: a typo or a disk put in the wrong bay stays stuck
here instead of becoming an OSD on the wrong disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceph_tasks.errors import InvalidInput

#: The one kind of evidence known so far: the serial number of a disk put in.
EVIDENCE_KINDS = ("serial",)


def confirmation_key(host: str | None) -> str:
    """The ledger key of a confirmation: for one host, or for the whole maintenance."""
    return "confirmation" if host is None else f"confirmation:{host}"


@dataclass(frozen=True)
class Confirmation:
    """A technician's word that the work is done: who, when, and the new disks' serials."""

    by: str
    at: datetime
    serials: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ledger form."""
        return {"by": self.by, "at": self.at.isoformat(), "serials": list(self.serials)}

    @classmethod
    def from_json(cls, data: Any) -> Confirmation:
        """Read the ledger form; ValueError when it is not one."""
        try:
            serials = data.get("serials") or []
            if not isinstance(serials, list):
                raise TypeError("serials is not a list")
            return cls(by=str(data["by"]), at=datetime.fromisoformat(str(data["at"])),
                       serials=tuple(str(s) for s in serials))
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a confirmation: {data!r} ({e})") from e

    def describe(self) -> str:
        """Who confirmed when, with what, for progress and errors."""
        serials = f" with serial(s) {', '.join(self.serials)}" if self.serials else ""
        return f"confirmation by {self.by} at {self.at.isoformat()}{serials}"


def parse_evidence(items: Sequence[str]) -> tuple[str, ...]:
    """The serials of `--evidence serial=XYZ` items, in order, without repeats."""
    serials: list[str] = []
    for item in items:
        kind, sep, value = item.partition("=")
        if not sep or kind.strip().lower() not in EVIDENCE_KINDS:
            raise InvalidInput(f"evidence must look like serial=SERIAL, got {item!r}")
        value = value.strip()
        if not value or any(c.isspace() or not c.isprintable() for c in value):
            raise InvalidInput(f"a serial is one word of printable characters, got {value!r}")
        if value not in serials:
            serials.append(value)
    return tuple(serials)


def check_evidence(
    serials: Sequence[str], *, expected: int, device_paths: Sequence[str],
    reported: Mapping[str, str | None], old: Mapping[str, str | None],
) -> tuple[str, ...]:
    """What is wrong with the serials a confirmation carries; empty when they prove the swap.

    reported: device path -> serial as the host reports now; old: device path -> serial of
    the disks that were to be pulled (the inventory's). With device_paths, the new serials
    must be on those devices; without, anywhere on the host.
    """
    problems: list[str] = []
    given = list(dict.fromkeys(serials))
    if len(given) < expected:
        problems.append(f"the confirmation carries {len(given)} serial(s), {expected} expected")
    problems += [f"the host reports no device {p}" for p in device_paths if p not in reported]
    paths = list(device_paths) or list(reported)
    where = {serial: path for path in paths if (serial := reported.get(path))}
    pulled = {serial: path for path, serial in old.items() if serial}
    on = f" on {', '.join(device_paths)}" if device_paths else ""
    for serial in given:
        if serial in pulled:
            problems.append(f"serial {serial} is the old disk's, of {pulled[serial]}")
        elif serial not in where:
            problems.append(f"the host reports no disk with serial {serial}{on}")
    return tuple(problems)


@dataclass(frozen=True)
class TicketView:
    """What the gate needs of the maintenance's ticket."""

    key: str
    status: str
    done: bool


@dataclass(frozen=True)
class GateVerdict:
    """Whether the gate opens; if so by what, if not what it waits for and what it rejected."""

    released: bool
    by: str
    waiting_for: str
    rejected: str | None = None


def needs_host_report(expected: int, confirmation: Confirmation | None) -> bool:
    """Whether the host's disks must be read: only to check a confirmation's serials."""
    return confirmation is not None and expected > 0


def assess_gate(
    *, reference: str, expected: int, confirmation: Confirmation | None,
    ticket: TicketView | None, problems: Sequence[str],
) -> GateVerdict:
    """Open on a confirmation whose evidence holds, or on a done ticket when none is needed.

    problems: check_evidence's findings for the confirmation (ignored without one).
    """
    evidence = (f" --evidence serial=NEW_SERIAL (x{expected})" if expected > 1 else
                " --evidence serial=NEW_SERIAL" if expected == 1 else "")
    waiting_for = f"a technician's confirmation (cephmaint confirm {reference}{evidence})"
    if ticket is not None and expected == 0:
        waiting_for += f" or ticket {ticket.key} done (now {ticket.status})"
    if confirmation is not None and (expected == 0 or not problems):
        return GateVerdict(True, confirmation.describe(), waiting_for)
    if ticket is not None and ticket.done and expected == 0:
        return GateVerdict(True, f"ticket {ticket.key} is {ticket.status}", waiting_for)
    rejected = None
    if confirmation is not None:
        rejected = f"{confirmation.describe()} rejected: {'; '.join(problems)}"
    elif ticket is not None and ticket.done:
        rejected = (f"ticket {ticket.key} is {ticket.status}, but the new disks' serials "
                    f"must be confirmed")
    return GateVerdict(False, "", waiting_for, rejected)
