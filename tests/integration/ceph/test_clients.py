"""Both Ceph clients against the real sandbox cluster: same answers, same typed errors."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ceph_tasks.ceph.cli_client import CliClient
from ceph_tasks.ceph.client import CephClient
from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.ceph.remote_runner import RemoteRunner
from ceph_tasks.errors import (
    CephBusy,
    CephConnectError,
    CephInvalidCommand,
    CephNotFound,
)
from ceph_tasks.remote.ssh import SshExecutor
from cephmaint.sandbox.sandbox import Sandbox
from inventory import Cluster
from tests.integration.ceph.conftest import connect
from tests.support.ceph import wait_healthy
from tests.support.poll import poll

pytestmark = pytest.mark.integration

SANDBOX_HOSTS = {"node0": {0, 1}, "node1": {2, 3}, "node2": {4, 5}}


def test_both_clients_read_the_same_status_and_tree(sandbox_cluster: Cluster) -> None:
    rados, cli = Ceph(connect("librados", sandbox_cluster)), Ceph(connect("cli", sandbox_cluster))
    try:
        by_rados, by_cli = rados.status(), cli.status()
        assert by_rados.fsid == by_cli.fsid
        assert by_rados.osdmap.num_osds == by_cli.osdmap.num_osds == 6
        assert rados.osd_tree().hosts() == cli.osd_tree().hosts() == SANDBOX_HOSTS
        assert rados.crush_rule_dump() == cli.crush_rule_dump()
    finally:
        rados.client.close()
        cli.client.close()


def test_typed_reads_describe_the_healthy_sandbox(client: CephClient) -> None:
    ceph = Ceph(client)
    status = ceph.status()
    assert status.health.ok and status.pgmap.all_active_clean
    assert ceph.health_detail().checks == {}
    assert ceph.pg_stat().num_pgs == status.pgmap.num_pgs
    assert {n.id for n in ceph.osd_df().nodes} == {0, 1, 2, 3, 4, 5}
    assert {p.pool_name: p.size for p in ceph.pool_ls_detail()}["data"] == 2
    assert ceph.crush_rule_dump()[0].failure_domain == "host"
    assert ceph.ok_to_stop([4, 5]).ok_to_stop
    assert not ceph.safe_to_destroy([4]).all_safe([4])


def test_unknown_command_is_an_invalid_command_naming_it(client: CephClient) -> None:
    with pytest.raises(CephInvalidCommand, match="ceph osd frobnicate"):
        client.mon_command("osd frobnicate")


def test_missing_argument_is_refused_and_the_monitor_survives(client: CephClient) -> None:
    # Sent as is over librados, this command aborts a Pacific monitor.
    with pytest.raises(CephInvalidCommand, match="osd crush reweight") as caught:
        client.mon_command("osd crush reweight", name="osd.5")
    assert "weight" in str(caught.value)
    with pytest.raises(CephInvalidCommand, match="weight"):
        client.mon_command("osd crush reweight", name="osd.5", weight="heavy")
    assert Ceph(client).status().health.ok


def test_unknown_osd_is_not_found_with_the_clusters_message(client: CephClient) -> None:
    with pytest.raises(CephNotFound, match="does not appear in the crush map") as caught:
        client.mon_command("osd crush reweight", name="osd.99", weight=1.0)
    assert caught.value.command.startswith("osd crush reweight")


def test_ok_to_stop_refusal_is_ebusy_with_its_json(client: CephClient) -> None:
    with pytest.raises(CephBusy, match="unsafe to stop") as caught:
        client.mon_command("osd ok-to-stop", ids=["0", "1", "2", "3"])
    assert '"ok_to_stop":false' in caught.value.output
    answer = Ceph(client).ok_to_stop([0, 1, 2, 3])
    assert not answer.ok_to_stop and answer.bad_become_inactive
    assert answer.reason.startswith("unsafe to stop")


def test_writes_take_effect_and_read_back(client: CephClient) -> None:
    client.mon_command("osd set", key="noout")
    try:
        assert "OSDMAP_FLAGS" in Ceph(client).status().health.checks
    finally:
        client.mon_command("osd unset", key="noout")
    poll(lambda: Ceph(client).status().health.ok, timeout=30, interval=0.5,
         what="HEALTH_OK once noout is cleared")


@pytest.mark.parametrize("kind", ["librados", "cli"])
def test_dead_monitor_address_times_out_with_a_clear_error(sandbox: Sandbox, kind: str) -> None:
    dead = (f"{sandbox.layout().subnet}.250:6789",)
    started = time.monotonic()
    with pytest.raises(CephConnectError) as caught:
        if kind == "cli":
            CliClient(cluster="gone", mon_hosts=dead, connect_timeout=2).mon_command("status")
        else:
            RadosClient.connect(cluster="gone", mon_hosts=dead, connect_timeout=2)
    assert time.monotonic() - started < 10
    assert str(caught.value).startswith("cannot connect to cluster gone")
    assert "no monitor answered within 2 s" in str(caught.value)


def test_stopped_osd_shows_down_and_degraded_to_both_clients(
    sandbox: Sandbox, sandbox_cluster: Cluster
) -> None:
    root = str(sandbox.layout().root)

    def hostctl(action: str) -> None:
        subprocess.run([sys.executable, "-m", "cephmaint.sandbox.hostctl", "--root", root,
                        "--host", "node2", action, "5"], check=True, timeout=120,
                       capture_output=True)

    rados, cli = Ceph(connect("librados", sandbox_cluster)), Ceph(connect("cli", sandbox_cluster))
    hostctl("stop-osd")
    try:
        poll(lambda: rados.status().osdmap.num_up_osds == 5, timeout=120, interval=0.5,
             what="osd.5 down")
        for ceph in (rados, cli):
            assert ceph.osd_tree().down_osds() == (5,)
            assert "OSD_DOWN" in ceph.health_detail().checks
        poll(lambda: cli.status().pgmap.degraded_objects > 0, timeout=120, interval=0.5,
             what="degraded objects")
        # With osd.5 down, PGs it shared with node1 have one copy left there.
        refused = rados.ok_to_stop([2, 3])
        assert not refused.ok_to_stop and refused.bad_become_inactive
    finally:
        hostctl("start-osd")
        wait_healthy(rados.status, timeout=180)
        rados.client.close()
        cli.client.close()


def test_cli_over_ssh_to_an_unreachable_admin_host_is_a_connect_error_naming_it(
    sandbox_cluster: Cluster,
) -> None:
    gone = sandbox_cluster.host("node0").model_copy(
        update={"ssh": sandbox_cluster.host("node0").ssh.model_copy(update={"port": 1})}
    )
    client = CliClient.for_cluster(
        sandbox_cluster, runner=RemoteRunner(SshExecutor(connect_timeout=2), gone)
    )
    with pytest.raises(CephConnectError, match="cannot connect to host node0"):
        client.mon_command("status")
