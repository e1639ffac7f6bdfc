"""OSD daemon control through the sandbox inventory's hostctl templates, over real SSH."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from ceph_tasks.errors import CommandFailed
from ceph_tasks.remote.daemons import HostDaemons
from ceph_tasks.remote.devices import HostDeviceReport
from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from inventory import UnknownDeviceError
from tests.integration.ssh.conftest import sandbox_host
from tests.support.poll import poll

pytestmark = pytest.mark.integration


def osd_up(box: Sandbox, osd_id: int) -> bool:
    """Whether the monitors see osd.ID up, as `ceph osd dump` reports it."""
    dump = subprocess.run(
        ["ceph", "-c", str(box.layout().conf_path), "osd", "dump", "-f", "json"],
        check=True, capture_output=True, text=True, timeout=30,
    )
    return any(o["osd"] == osd_id and o["up"] == 1 for o in json.loads(dump.stdout)["osds"])


@pytest.fixture
def node1(sandbox: Sandbox) -> Iterator[HostDaemons]:
    """node1's daemons over SSH; the sandbox is brought back to HEALTH_OK afterwards."""
    with SshExecutor(connect_timeout=5) as executor:
        yield HostDaemons(executor, sandbox_host(sandbox, "node1"))
    sandbox.up()


def test_stop_and_start_an_osd_of_node1_through_its_templates(
    sandbox: Sandbox, node1: HostDaemons
) -> None:
    osd_id = next(r.osd_id for r in sandbox.registry.osds() if r.host == "node1")
    assert osd_up(sandbox, osd_id)
    result = node1.stop_osd(osd_id)
    assert json.loads(result.stdout) == {"osd_id": osd_id, "running": False}
    poll(lambda: not osd_up(sandbox, osd_id), timeout=60, interval=0.5, what=f"osd.{osd_id} down")
    node1.start_osd(osd_id)
    poll(lambda: osd_up(sandbox, osd_id), timeout=60, interval=0.5, what=f"osd.{osd_id} up")


def test_an_osd_of_another_host_is_refused_with_hostctls_reason(
    sandbox: Sandbox, node1: HostDaemons
) -> None:
    foreign = next(r.osd_id for r in sandbox.registry.osds() if r.host == "node2")
    with pytest.raises(CommandFailed) as caught:
        node1.stop_osd(foreign)
    assert caught.value.exit_status == 2
    assert f"osd.{foreign} does not live on host node1" in caught.value.stderr
    assert osd_up(sandbox, foreign)


def test_a_device_the_inventory_does_not_list_is_never_zapped(node1: HostDaemons) -> None:
    with pytest.raises(UnknownDeviceError):
        node1.zap_device("/dev/sandbox/node2-sdb")


def test_the_dashed_spare_is_reached_over_ssh_and_reports_its_disks(sandbox: Sandbox) -> None:
    spare = sandbox_host(sandbox, "spare-3.dc1")
    with SshExecutor(connect_timeout=5) as executor:
        connection = executor.run(spare, ["sh", "-c", "echo $SSH_CONNECTION"]).stdout.split()
        serials = HostDeviceReport(executor).serials(spare)
    assert connection[2] == spare.ssh.address
    assert serials == {d.path: d.serial for d in spare.devices}
    assert list(serials) == [f"/dev/sandbox/spare-3.dc1-sd{letter}" for letter in "bcd"]
