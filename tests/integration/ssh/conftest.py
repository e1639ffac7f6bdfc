"""Hosts of the sandbox as its inventory describes them, and an executor closed after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from inventory import Host, load_inventory


def sandbox_host(box: Sandbox, name: str, **ssh: Any) -> Host:
    """A host from the sandbox's inventory.yaml; keyword arguments override its SSH access."""
    layout = box.layout()
    host = load_inventory(layout.inventory_path).cluster(layout.name).host(name)
    return host.model_copy(update={"ssh": host.ssh.model_copy(update=ssh)})


def unused_address(box: Sandbox) -> str:
    """A loopback address of the sandbox's subnet where nothing listens."""
    return f"{box.layout().subnet}.250"


@pytest.fixture
def executor() -> Iterator[SshExecutor]:
    """An SSH executor with short timeouts, closed after the test."""
    with SshExecutor(connect_timeout=5, command_timeout=60) as ex:
        yield ex
