"""Start, stop, create and zap OSDs, add and remove other daemons, by a host's daemon control."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TypeVar

from ceph_tasks.remote.argv import CommandResult
from ceph_tasks.remote.executor import RemoteExecutor
from ceph_tasks.remote.services import ServiceAction, service_commands
from inventory import (
    CephadmControl,
    CommandsControl,
    CommandTemplateError,
    DaemonControl,
    Host,
    SystemdControl,
    render_command,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class OsdAction(StrEnum):
    """What can be done to an OSD or its device on a host."""

    START = "start_osd"
    STOP = "stop_osd"
    CREATE = "create_osd"
    ZAP = "zap_device"


#: Seconds each action may take: creating an OSD prepares a whole disk.
DEFAULT_TIMEOUTS: dict[OsdAction, float] = {
    OsdAction.START: 120.0,
    OsdAction.STOP: 120.0,
    OsdAction.CREATE: 900.0,
    OsdAction.ZAP: 300.0,
}

#: Seconds each command of adding or removing a monitor, manager or MDS may take.
SERVICE_TIMEOUT = 300.0

_ORCH = ("cephadm", "shell", "--", "ceph", "orch")


def osd_command(
    control: DaemonControl, action: OsdAction, host_name: str, *, osd_id: int | None = None,
    device: str | None = None,
) -> tuple[str, ...]:
    """The argv that performs action on a host with this kind of daemon control.

    - commands: the inventory's templates, with {osd_id} and {device} filled in.
    - systemd (package installs): `systemctl start|stop ceph-osd@ID`,
      `ceph-volume lvm create --data DEVICE [--osd-id ID]`,
      `ceph-volume lvm zap --destroy DEVICE`: what an operator types on such a host.
    - cephadm: the orchestrator, through `cephadm shell -- ceph orch ...` on the host:
      `daemon start|stop osd.ID`, `daemon add osd HOST:DEVICE`, `device zap HOST DEVICE
      --force`. The orchestrator stays the authority on what runs where (a unit stopped
      behind its back is restarted or misreported); this needs the host to hold an admin
      keyring (cephadm's `_admin` label), and HOST is the inventory name, which must be the
      orchestrator's host name. The orchestrator picks the new OSD's id itself, reusing the
      id of an OSD destroyed for replacement, so an osd_id passed to create is not used.
    """
    if isinstance(control, CommandsControl):
        template = getattr(control, action.value)
        if template is None:
            raise CommandTemplateError(f"host {host_name} has no {action.value} command template")
        return render_command(template, osd_id=osd_id, device=device)
    if isinstance(control, SystemdControl):
        return _systemd(action, osd_id, device)
    if isinstance(control, CephadmControl):
        return _cephadm(action, host_name, osd_id, device)
    raise TypeError(f"unknown daemon control {control!r}")


def _need(value: _T | None, what: str, action: OsdAction) -> _T:
    if value is None:
        raise ValueError(f"{action.value} needs {what}")
    return value


def _systemd(action: OsdAction, osd_id: int | None, device: str | None) -> tuple[str, ...]:
    match action:
        case OsdAction.START | OsdAction.STOP:
            verb = "start" if action is OsdAction.START else "stop"
            return ("systemctl", verb, f"ceph-osd@{_need(osd_id, 'an OSD id', action)}")
        case OsdAction.CREATE:
            create = ("ceph-volume", "lvm", "create", "--data",
                      _need(device, "a device", action))
            return create if osd_id is None else (*create, "--osd-id", str(osd_id))
        case OsdAction.ZAP:
            return ("ceph-volume", "lvm", "zap", "--destroy", _need(device, "a device", action))


def _cephadm(
    action: OsdAction, host_name: str, osd_id: int | None, device: str | None
) -> tuple[str, ...]:
    match action:
        case OsdAction.START | OsdAction.STOP:
            verb = "start" if action is OsdAction.START else "stop"
            return (*_ORCH, "daemon", verb, f"osd.{_need(osd_id, 'an OSD id', action)}")
        case OsdAction.CREATE:
            return (*_ORCH, "daemon", "add", "osd",
                    f"{host_name}:{_need(device, 'a device', action)}")
        case OsdAction.ZAP:
            return (*_ORCH, "device", "zap", host_name, _need(device, "a device", action),
                    "--force")


class HostDaemons:
    """The daemons and devices of one host, controlled through a RemoteExecutor."""

    def __init__(
        self, executor: RemoteExecutor, host: Host,
        timeouts: dict[OsdAction, float] | None = None,
    ) -> None:
        self.executor, self.host = executor, host
        self.timeouts = {**DEFAULT_TIMEOUTS, **(timeouts or {})}

    def start_osd(self, osd_id: int) -> CommandResult:
        """Start osd.ID on this host."""
        return self._run(OsdAction.START, osd_id=osd_id)

    def stop_osd(self, osd_id: int) -> CommandResult:
        """Stop osd.ID on this host."""
        return self._run(OsdAction.STOP, osd_id=osd_id)

    def create_osd(self, device: str, osd_id: int | None = None) -> CommandResult:
        """Create an OSD on one of the host's devices, reusing osd_id when given."""
        self.host.device(device)  # only devices the inventory lists: UnknownDeviceError
        return self._run(OsdAction.CREATE, osd_id=osd_id, device=device)

    def zap_device(self, device: str) -> CommandResult:
        """Wipe one of the host's devices so that it can hold a new OSD."""
        # Zapping destroys data: never on a path the inventory does not list for this host.
        self.host.device(device)
        return self._run(OsdAction.ZAP, device=device)

    def add_daemon(self, kind: str, daemon_id: str, fs: str = "") -> CommandResult:
        """Bring up a monitor, manager or MDS on this host (fs: the file system of an MDS)."""
        return self._service(ServiceAction.ADD, kind, daemon_id, fs)

    def remove_daemon(self, kind: str, daemon_id: str) -> CommandResult:
        """Stop and disable a monitor, manager or MDS of this host for good."""
        return self._service(ServiceAction.REMOVE, kind, daemon_id)

    def _service(self, action: ServiceAction, kind: str, daemon_id: str, fs: str = ""
                 ) -> CommandResult:
        commands = service_commands(self.host.daemon_control, action, self.host.name, kind,
                                    daemon_id, fs)
        log.info("%s %s.%s on %s", action.value, kind, daemon_id, self.host.name)
        results = [self.executor.run(self.host, argv, timeout=SERVICE_TIMEOUT)
                   for argv in commands]
        return results[-1]

    def _run(
        self, action: OsdAction, *, osd_id: int | None = None, device: str | None = None
    ) -> CommandResult:
        argv = osd_command(self.host.daemon_control, action, self.host.name, osd_id=osd_id,
                           device=device)
        log.info("%s on %s (osd_id=%s, device=%s)", action.value, self.host.name, osd_id, device)
        return self.executor.run(self.host, argv, timeout=self.timeouts[action])
