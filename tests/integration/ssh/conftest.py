"""Hosts of the sandbox as the SSH executor sees them, and an executor closed after each test."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from typing import Any

import pytest

from ceph_tasks.ssh_executor import SshExecutor
from cephmaint.sandbox.layout import Layout
from cephmaint.sandbox.sandbox import Sandbox
from inventory import CommandsControl, Host, SshAccess


def sandbox_host(box: Sandbox, name: str, **ssh: Any) -> Host:
    """A sandbox host as an inventory Host; keyword arguments override its SSH access."""
    layout = box.layout()
    host = layout.host(name)
    access = SshAccess(address=host.address, port=host.ssh_port, user=getpass.getuser(),
                       key_path=layout.ssh_key_path, known_hosts_path=layout.known_hosts_path)
    return Host(name=name, datacenter="SBX1", room="lab", rack=f"R-{name}",
                ssh=access.model_copy(update=ssh), daemon_control=hostctl_control(layout, name))


def hostctl_control(layout: Layout, name: str) -> CommandsControl:
    """Daemon control of a sandbox host: its hostctl commands, as argv templates."""
    hostctl = (layout.python, "-m", "cephmaint.sandbox.hostctl", "--root", str(layout.root),
               "--host", name)
    return CommandsControl(
        start_osd=(*hostctl, "start-osd", "{osd_id}"),
        stop_osd=(*hostctl, "stop-osd", "{osd_id}"),
        create_osd=(*hostctl, "create-osd", "{device}", "--osd-id", "{osd_id}"),
        zap_device=(*hostctl, "zap", "{device}"),
    )


def unused_address(box: Sandbox) -> str:
    """A loopback address of the sandbox's subnet where nothing listens."""
    return f"{box.layout().subnet}.250"


@pytest.fixture
def executor() -> Iterator[SshExecutor]:
    """An SSH executor with short timeouts, closed after the test."""
    with SshExecutor(connect_timeout=5, command_timeout=60) as ex:
        yield ex
