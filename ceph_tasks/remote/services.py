"""The commands that add or remove a monitor, manager or MDS on a host, by daemon control.

A replacement brings up on the new host the daemons the old host ran (its monitor joins
the quorum before the old one leaves), and a retired host's daemons that are left
standing by are stopped, so they do not come back if the hardware is powered on again.
"""

from __future__ import annotations

from enum import StrEnum

from inventory import (
    CephadmControl,
    CommandsControl,
    CommandTemplateError,
    DaemonControl,
    SystemdControl,
    render_command,
)

#: The kinds of daemon these commands handle (DaemonKind's values).
KINDS = ("mon", "mgr", "mds")

_ORCH = ("cephadm", "shell", "--", "ceph", "orch")

#: Where a package install keeps daemons' data, and a scratch folder Ceph's tools use.
_LIB = "/var/lib/ceph"

#: The capabilities Ceph's manual deployment gives a manager and an MDS.
#: https://docs.ceph.com/en/pacific/mgr/administrator/#manual-setup
#: https://docs.ceph.com/en/pacific/cephfs/add-remove-mds/
_CAPS = {
    "mgr": ("mon", "allow profile mgr", "osd", "allow *", "mds", "allow *"),
    "mds": ("mon", "allow profile mds", "osd", "allow rw tag cephfs *=*", "mds", "allow",
            "mgr", "allow profile mds"),
}


class ServiceAction(StrEnum):
    """What can be done to a monitor, manager or MDS on a host."""

    ADD = "add_daemon"
    REMOVE = "remove_daemon"


def service_commands(control: DaemonControl, action: ServiceAction, host_name: str,
                     kind: str, daemon_id: str, fs: str = "") -> tuple[tuple[str, ...], ...]:
    """The argv, run one after the other, that performs action on a host.

    - commands: the inventory's template, with {kind} and {daemon_id} filled in.
    - systemd (package installs): Ceph's manual steps. A monitor: fetch the monmap and the
      mon. key, make its store (as user ceph), enable and start its unit; it joins the
      quorum by itself once started. A manager or MDS: its data folder, its key with the
      documented capabilities, its unit. Removing disables and stops the unit.
    - cephadm: `ceph orch daemon add mon|mgr HOST`, `ceph orch daemon add mds FS HOST`,
      `ceph orch daemon rm KIND.ID --force`. Where the service's placement is managed by a
      spec, the spec must name the new host too, or the orchestrator takes the daemon away
      again: cephadm clusters usually place by host label, which the operator adds first.
    https://docs.ceph.com/en/pacific/rados/operations/add-or-rm-mons/#adding-a-monitor-manual
    """
    if kind not in KINDS:
        raise ValueError(f"no {action.value} for daemons of kind {kind!r}: only {KINDS}")
    if isinstance(control, CommandsControl):
        template = getattr(control, action.value)
        if template is None:
            raise CommandTemplateError(f"host {host_name} has no {action.value} command template")
        return (render_command(template, kind=kind, daemon_id=daemon_id),)
    if isinstance(control, SystemdControl):
        unit = f"ceph-{kind}@{daemon_id}"
        if action is ServiceAction.REMOVE:
            return (("systemctl", "disable", "--now", unit),)
        return (*_systemd_create(kind, daemon_id), ("systemctl", "enable", "--now", unit))
    if isinstance(control, CephadmControl):
        if action is ServiceAction.REMOVE:
            return ((*_ORCH, "daemon", "rm", f"{kind}.{daemon_id}", "--force"),)
        if kind == "mds":
            if not fs:
                raise ValueError("cephadm adds an MDS for a file system: name it")
            return ((*_ORCH, "daemon", "add", "mds", fs, host_name),)
        return ((*_ORCH, "daemon", "add", kind, host_name),)
    raise TypeError(f"unknown daemon control {control!r}")


def _systemd_create(kind: str, daemon_id: str) -> tuple[tuple[str, ...], ...]:
    data = f"{_LIB}/{kind}/ceph-{daemon_id}"
    if kind == "mon":
        monmap, key = f"{_LIB}/tmp/monmap.{daemon_id}", f"{_LIB}/tmp/mon-keyring.{daemon_id}"
        return (("ceph", "mon", "getmap", "-o", monmap),
                ("ceph", "auth", "get", "mon.", "-o", key),
                ("ceph-mon", "--mkfs", "-i", daemon_id, "--monmap", monmap, "--keyring", key,
                 "--setuser", "ceph", "--setgroup", "ceph"),
                ("rm", "-f", monmap, key))
    return (("install", "-d", "-o", "ceph", "-g", "ceph", data),
            ("ceph", "auth", "get-or-create", f"{kind}.{daemon_id}", *_CAPS[kind],
             "-o", f"{data}/keyring"),
            ("chown", "ceph:ceph", f"{data}/keyring"))
