"""A storage host: its location, SSH access, daemon control and devices."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from inventory.base import InventoryModel, cross_check_error
from inventory.commands import check_template, not_a_shell_string
from inventory.errors import UnknownDeviceError
from inventory.fields import (
    Address,
    CrushName,
    DevicePath,
    HostName,
    StrictBool,
    StrictInt,
    Text,
    Token,
    UserName,
    check_hostname,
)


class Device(InventoryModel):
    """A disk in a host, as technicians find it: path, serial number, bay, size."""

    path: DevicePath
    serial: Token | None = None
    bay: Text | None = None
    size_bytes: StrictInt | None = Field(default=None, gt=0)
    #: A fast device holding other OSDs' DB/WAL (see Osd.db_device): never a data disk.
    db: StrictBool = False


class SshAccess(InventoryModel):
    """How to open an SSH session to the host."""

    address: Address
    port: StrictInt = Field(default=22, ge=1, le=65535)
    user: UserName = "root"
    key_path: Path | None = None
    known_hosts_path: Path | None = None
    # Trusting unknown host keys opens the door to man-in-the-middle: opt-in only.
    accept_unknown_host_keys: StrictBool = False


class DaemonControlKind(StrEnum):
    """How a host's Ceph daemons are started and stopped."""

    SYSTEMD = "systemd"
    CEPHADM = "cephadm"
    COMMANDS = "commands"


class SystemdControl(InventoryModel):
    """Daemons are systemd units (ceph-osd@ID)."""

    kind: Literal[DaemonControlKind.SYSTEMD] = DaemonControlKind.SYSTEMD


class CephadmControl(InventoryModel):
    """Daemons are managed by cephadm / the orchestrator."""

    kind: Literal[DaemonControlKind.CEPHADM] = DaemonControlKind.CEPHADM


CommandTemplate = tuple[str, ...]


class CommandsControl(InventoryModel):
    """Daemons are controlled by explicit argv templates run over SSH, without a shell."""

    #: Placeholders each template may use.
    ALLOWED: ClassVar[dict[str, frozenset[str]]] = {
        "start_osd": frozenset({"osd_id"}),
        "stop_osd": frozenset({"osd_id"}),
        "create_osd": frozenset({"osd_id", "device"}),
        "zap_device": frozenset({"device"}),
        "list_devices": frozenset(),
        "add_daemon": frozenset({"kind", "daemon_id"}),
        "remove_daemon": frozenset({"kind", "daemon_id"}),
    }

    kind: Literal[DaemonControlKind.COMMANDS] = DaemonControlKind.COMMANDS
    start_osd: CommandTemplate
    stop_osd: CommandTemplate
    create_osd: CommandTemplate
    zap_device: CommandTemplate | None = None
    #: Prints the host's disks as JSON with their serials: a list of {path, serial} objects,
    #: or lsblk's {"blockdevices": [...]}. Without it, `lsblk --json` is run.
    list_devices: CommandTemplate | None = None
    #: Bring up a monitor, manager or MDS ({kind}: mon, mgr, mds) called {daemon_id} on
    #: the host; a monitor joins the quorum by itself. Needed to replace a host running one.
    add_daemon: CommandTemplate | None = None
    #: Stop and disable such a daemon for good (a retired host's standbys).
    remove_daemon: CommandTemplate | None = None

    @field_validator("start_osd", "stop_osd", "create_osd", "zap_device", "list_devices",
                     "add_daemon", "remove_daemon", mode="before")
    @classmethod
    def _argv_not_shell(cls, value: Any) -> Any:
        # A plain string would have to be split by a shell: refuse it outright.
        return not_a_shell_string(value)

    @model_validator(mode="after")
    def _known_placeholders(self) -> CommandsControl:
        for field, allowed in self.ALLOWED.items():
            words = getattr(self, field)
            if words is not None:
                try:
                    check_template(words, allowed)
                except ValueError as error:
                    raise cross_check_error([field], str(error)) from None
        return self


DaemonControl = Annotated[
    SystemdControl | CephadmControl | CommandsControl, Field(discriminator="kind")
]


def _is_hostname(name: str) -> bool:
    try:
        check_hostname(name)
    except ValueError:
        return False
    return True


class Host(InventoryModel):
    """A storage host; its failure domain defaults to its own name."""

    name: HostName
    datacenter: Text
    room: Text
    rack: Text
    # Filled from the name when absent (see below); the unvalidated default only
    # survives when the name itself is invalid, and then validation fails anyway.
    failure_domain: CrushName = Field(default="", validate_default=False)
    ssh: SshAccess
    daemon_control: DaemonControl
    devices: tuple[Device, ...] = ()
    #: Restarts the host (a maintenance's --reboot), run over SSH without a shell.
    reboot_command: CommandTemplate = ("systemctl", "reboot")
    #: Prints an id that changes on every boot: how a reboot is known to have happened.
    boot_id_command: CommandTemplate = ("cat", "/proc/sys/kernel/random/boot_id")

    @field_validator("reboot_command", "boot_id_command", mode="before")
    @classmethod
    def _host_command_not_shell(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("a command is a list of argv words, not a shell string")
        return value

    @field_validator("reboot_command", "boot_id_command")
    @classmethod
    def _no_placeholders(cls, value: CommandTemplate) -> CommandTemplate:
        check_template(value, ())
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_failure_domain(cls, data: Any) -> Any:
        # Only a valid name is copied: an invalid one is reported once, under "name".
        if isinstance(data, dict) and data.get("failure_domain") is None:
            name = data.get("name")
            if isinstance(name, str) and _is_hostname(name):
                return {**data, "failure_domain": name}
        return data

    @model_validator(mode="after")
    def _unique_devices(self) -> Host:
        seen: set[str] = set()
        for index, device in enumerate(self.devices):
            if device.path in seen:
                raise cross_check_error(
                    ["devices", index, "path"],
                    f"device {device.path} is listed twice on host {self.name}",
                )
            seen.add(device.path)
        return self

    def device(self, path: str) -> Device:
        """The device at this path; UnknownDeviceError if the host has none."""
        for device in self.devices:
            if device.path == path:
                return device
        known = ", ".join(d.path for d in self.devices) or "none"
        raise UnknownDeviceError(f"host {self.name} has no device {path!r} (known: {known})")
