"""The message technicians receive, built from the inventory: the pure core."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ceph_tasks.reference import check_reference
from inventory.host import Device, Host

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class TechnicianMessage:
    """What to tell technicians: subject, plain-text body, and the reference to quote back."""

    subject: str
    body: str
    reference: str
    cluster: str
    host: str


class TechnicianNotifier(Protocol):
    """A way to reach datacenter technicians (chat, e-mail, ticket)."""

    def notify(self, message: TechnicianMessage) -> str:
        """Deliver the message; return a receipt (a message id, a ticket key)."""
        ...


def channel_kind(notifier: TechnicianNotifier) -> str:
    """chat, email, ...: the notifier's own `kind`, else from its class (ChatNotifier ->
    chat)."""
    kind = getattr(notifier, "kind", "")
    return str(kind) or type(notifier).__name__.removesuffix("Notifier").lower() or "channel"


def _one_line(value: str, what: str) -> str:
    # Subjects become mail headers: a newline there would let text forge headers.
    if not value.strip() or _CONTROL.search(value):
        raise ValueError(f"{what} must be non-blank text on one line, got {value!r}")
    return value.strip()


def format_size(size_bytes: int | None) -> str:
    """A disk size as technicians read it on labels (decimal units)."""
    if size_bytes is None:
        return "size unknown"
    if size_bytes < 1000:
        return f"{size_bytes} B"
    size = size_bytes / 1000
    units = ["kB", "MB", "GB", "TB"]
    while size >= 1000 and len(units) > 1:
        size /= 1000
        units.pop(0)
    return f"{size:.1f} {units[0]}"


def describe_device(device: Device) -> str:
    """One line per disk: bay first, since that is where a technician's hand goes."""
    bay = f"bay {device.bay}" if device.bay else "bay unknown"
    serial = f"serial {device.serial}" if device.serial else "serial unknown"
    return f"{bay}, {serial}, {device.path}, {format_size(device.size_bytes)}"


def confirm_link(public_url: str, reference: str) -> str:
    """The address of the page where technicians confirm the work of a maintenance."""
    base = _one_line(public_url, "the public URL").rstrip("/")
    return f"{base}/technicians/{check_reference(reference)}"


def build_message(
    *,
    cluster: str,
    host: Host,
    action: str,
    reference: str,
    device_paths: Sequence[str] = (),
    instructions: str | None = None,
    public_url: str = "",
) -> TechnicianMessage:
    """The message for an intervention on a host; without device paths, all its disks.

    With public_url (where `cephmaint serve` is reached), it ends with the link to the
    page where the technician confirms. UnknownDeviceError (from the inventory) when a path
    is not a device of the host.
    """
    cluster = _one_line(cluster, "the cluster name")
    action = _one_line(action, "the action")
    check_reference(reference)
    devices = [host.device(path) for path in device_paths] if device_paths else list(host.devices)
    heading = "Devices concerned" if device_paths else "Devices in the host"
    lines = [
        f"Maintenance request {reference}",
        "",
        f"Action:      {action}",
        f"Cluster:     {cluster}",
        f"Datacenter:  {host.datacenter}",
        f"Room:        {host.room}",
        f"Rack:        {host.rack}",
        f"Host:        {host.name}",
        "",
        f"{heading}:",
        *([f"  - {describe_device(d)}" for d in devices] or ["  (none listed in the inventory)"]),
        "",
    ]
    if instructions:
        lines += [instructions.strip(), ""]
    lines.append(f"When done, confirm quoting the reference {reference}.")
    if public_url:
        lines.append(f"Confirm here: {confirm_link(public_url, reference)}")
    subject = (
        f"[{cluster}] {action}: {host.name} "
        f"({host.datacenter}, room {host.room}, rack {host.rack}) ref {reference}"
    )
    return TechnicianMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        reference=reference,
        cluster=cluster,
        host=host.name,
    )
