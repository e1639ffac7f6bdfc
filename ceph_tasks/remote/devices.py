"""What disks a host reports now, with their serial numbers: the evidence of a disk swap.

The command comes from the host's daemon control: a commands-kind host may name its own
`list_devices` template (the sandbox's `hostctl list-devices`); every other host, and a
commands-kind host without one, is asked with `lsblk`, which reads the serial the disk's
firmware reports (https://man7.org/linux/man-pages/man8/lsblk.8.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from ceph_tasks.errors import RemoteCommandError
from ceph_tasks.remote.argv import display_command
from ceph_tasks.remote.executor import RemoteExecutor
from inventory import CommandsControl, DaemonControl, Host, render_command

#: Whole disks only (--nodeps: no partitions), as JSON, with the two columns needed.
LSBLK = ("lsblk", "--json", "--nodeps", "--output", "PATH,SERIAL")

#: Seconds a device listing may take; it reads sysfs, nothing slow.
LIST_TIMEOUT = 60.0

#: Device path -> serial number (None: the disk reports none).
Serials = dict[str, str | None]


class DeviceReport(Protocol):
    """Reads which disks a host has now and their serial numbers."""

    def serials(self, host: Host) -> Serials:
        """Device path -> serial, as the host reports them at this moment."""
        ...


def list_devices_command(control: DaemonControl) -> tuple[str, ...]:
    """The argv that lists a host's disks with their serials, for its kind of daemon control."""
    if isinstance(control, CommandsControl) and control.list_devices is not None:
        return render_command(control.list_devices)
    return LSBLK


def parse_device_report(output: str) -> Serials:
    """Read a listing: lsblk's {"blockdevices": [...]} or a list of {path, serial} objects.

    ValueError when the output is not one of those shapes.
    """
    try:
        document: Any = json.loads(output)
    except json.JSONDecodeError as e:
        raise ValueError(f"the device listing is not JSON: {e}") from e
    if isinstance(document, Mapping):
        document = document.get("blockdevices")
    if not isinstance(document, list):
        raise ValueError("expected a list of devices or lsblk's {\"blockdevices\": [...]}")
    found: Serials = {}
    for entry in document:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str):
            raise ValueError(f"a device entry has no path: {entry!r}")
        # lsblk pads some serials with blanks and reports null when the disk has none.
        serial = str(entry.get("serial") or "").strip()
        found[entry["path"]] = serial or None
    return found


class HostDeviceReport:
    """A DeviceReport that runs the host's listing command through a RemoteExecutor."""

    def __init__(self, executor: RemoteExecutor, timeout: float = LIST_TIMEOUT) -> None:
        self.executor, self.timeout = executor, timeout

    def serials(self, host: Host) -> Serials:
        """Run the listing on the host and parse it; RemoteCommandError when that fails."""
        argv = list_devices_command(host.daemon_control)
        result = self.executor.run(host, argv, timeout=self.timeout)
        try:
            return parse_device_report(result.stdout)
        except ValueError as e:
            raise RemoteCommandError(
                f"host {host.name}: {display_command(argv)} printed no device listing: {e}",
                host.name, argv) from e
