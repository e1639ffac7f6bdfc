"""The sandbox is a real, healthy cluster with real SSH hosts, and proves data intact."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from ceph_tasks.ceph.models.versions import Release, Versions
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.errors import CephPermissionDenied
from cephmaint.errors import VerifyFailed
from cephmaint.sandbox import cluster
from cephmaint.sandbox.layout import SandboxHost
from cephmaint.sandbox.procs import processes_under
from cephmaint.sandbox.sandbox import Sandbox
from inventory import compare_layout, load_inventory, render_command

pytestmark = pytest.mark.integration


def ssh(box: Sandbox, host: SandboxHost, known_hosts: Path | None = None) -> paramiko.SSHClient:
    """A paramiko client that only accepts host keys listed in known_hosts."""
    layout = box.layout()
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts or layout.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, port=host.ssh_port, username="root",
                   key_filename=str(layout.ssh_key_path), look_for_keys=False,
                   allow_agent=False, timeout=10)
    return client


def run(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    _, out, err = client.exec_command(command, timeout=60)
    code = out.channel.recv_exit_status()
    return code, out.read().decode(), err.read().decode()


def test_sandbox_is_healthy_with_six_osds_on_three_hosts_and_a_spare(sandbox: Sandbox) -> None:
    report = sandbox.status()
    assert report.health == "HEALTH_OK"
    assert (report.osds_up, report.osds_in, report.osds_total) == (6, 6, 6)
    assert set(report.pgs) == {"active+clean"}
    with cluster.connect(sandbox.layout()) as mon:
        tree = mon.command("osd tree")
    hosts = {n["name"]: n.get("children", []) for n in tree["nodes"] if n["type"] == "host"}
    assert sorted(hosts) == ["node0", "node1", "node2"]
    assert all(len(children) == 2 for children in hosts.values())


def test_inventory_file_loads_and_matches_the_live_cluster(sandbox: Sandbox) -> None:
    layout = sandbox.layout()
    inv = load_inventory(layout.inventory_path)
    (cluster_,) = inv.clusters
    assert cluster_.name == layout.name
    assert [h.name for h in cluster_.hosts] == ["node0", "node1", "node2", "spare-3.dc1"]
    assert cluster_.host("node2").ssh.address == layout.host("node2").address
    assert len(cluster_.osds) == 6 and cluster_.osds_on("spare-3.dc1") == ()
    with cluster.connect(layout) as mon:
        tree = mon.command("osd tree")
    by_id = {n["id"]: n for n in tree["nodes"]}
    live = {n["name"]: {c for c in n["children"] if by_id[c]["type"] == "osd"}
            for n in tree["nodes"] if n["type"] == "host"}
    report = compare_layout(cluster_, live)
    assert report.ok, report.render()


def test_cephmaint_reaches_the_cluster_with_cephx_as_a_user_held_to_its_caps(
        sandbox: Sandbox) -> None:
    layout = sandbox.layout()
    (cluster_,) = load_inventory(layout.inventory_path).clusters
    assert cluster_.access.client_name == "client.cephmaint"
    with cluster.connect(layout) as mon:
        users = {u["entity"]: u["caps"] for u in mon.command("auth ls")["auth_dump"]}
        caps = cluster.CEPHMAINT_CAPS
        assert users["client.cephmaint"] == dict(zip(caps[::2], caps[1::2], strict=True))
        # Auth is on: the daemons run with keys of their own.
        assert {"osd.0", "mgr.node0"} <= users.keys()
    client = RadosClient.for_cluster(cluster_)
    try:
        client.mon_command("osd set", key="noout")  # a change within its caps...
        client.mon_command("osd unset", key="noout")
        assert client.mgr_command("balancer status")["active"] in (True, False)
        client.mon_command("config-key set", key="cephmaint/ledger/t/k", val="1")
        client.mon_command("config-key rm", key="cephmaint/ledger/t/k")
        # ...but no key read or made, no config-key outside its own, and no object read
        # (EACCES from the monitors, EPERM from the OSDs).
        for prefix, args in (("auth get", {"entity": "client.admin"}),
                             ("auth get-or-create", {"entity": "client.more"}),
                             ("config-key set", {"key": "mgr/x", "val": "1"}),
                             ("config-key dump", {})):
            with pytest.raises(CephPermissionDenied, match=prefix):
                client.mon_command(prefix, **args)
    finally:
        client.close()
    listed = subprocess.run(
        ["rados", "-c", str(layout.conf_path), "-n", "client.cephmaint", "-k",
         str(layout.cephmaint_keyring_path), "-p", "data", "ls"],
        capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode != 0 and "Operation not permitted" in listed.stderr


def test_inventory_daemon_control_stops_and_starts_an_osd_of_its_host(sandbox: Sandbox) -> None:
    layout = sandbox.layout()
    cluster_ = load_inventory(layout.inventory_path).cluster(layout.name)
    node1 = cluster_.host("node1")
    osd_id = cluster_.osds_on("node1")[0].id
    control = node1.daemon_control
    assert control.kind == "commands"
    client = ssh(sandbox, layout.host("node1"))
    try:
        for template in (control.stop_osd, control.start_osd):
            argv = render_command(template, osd_id=osd_id)
            code, out, err = run(client, shlex.join(argv))
            assert code == 0, err
            assert json.loads(out)["osd_id"] == osd_id
    finally:
        client.close()
    assert sandbox.up().osds_up == 6


def test_up_again_changes_nothing_and_reports_health(sandbox: Sandbox) -> None:
    before = sandbox.layout()
    report = sandbox.up()
    assert report.health == "HEALTH_OK"
    assert sandbox.layout() == before


def test_ssh_to_each_host_lands_on_that_hosts_address(sandbox: Sandbox) -> None:
    for host in sandbox.layout().hosts:
        client = ssh(sandbox, host)
        try:
            code, out, _ = run(client, "echo $SSH_CONNECTION")
        finally:
            client.close()
        assert code == 0
        server_address, server_port = out.split()[2:4]
        assert (server_address, int(server_port)) == (host.address, host.ssh_port)


def test_ssh_refuses_a_host_whose_key_is_not_known(sandbox: Sandbox, tmp_path: Path) -> None:
    layout = sandbox.layout()
    node1, node2 = layout.host("node1"), layout.host("node2")
    # node2's address listed with node1's key: exactly what a changed host key looks like.
    key_of_node1 = layout.known_hosts_path.read_text().splitlines()[1].split()[1:]
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[{node2.address}]:{node2.ssh_port} {' '.join(key_of_node1)}\n")
    assert node1.name == "node1"
    with pytest.raises(paramiko.BadHostKeyException):
        ssh(sandbox, node2, known_hosts=wrong)
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        ssh(sandbox, node2, known_hosts=empty)


def test_host_control_over_ssh_stops_and_starts_only_its_own_osds(sandbox: Sandbox) -> None:
    layout = sandbox.layout()
    node2 = layout.host("node2")
    hostctl = [layout.python, "-m", "cephmaint.sandbox.hostctl", "--root", str(layout.root),
               "--host", "node2"]
    client = ssh(sandbox, node2)
    try:
        code, out, _ = run(client, shlex.join([*hostctl, "list-devices"]))
        assert code == 0
        devices = json.loads(out)
        assert [d["osd_id"] for d in devices] == [4, 5, None]
        code, _, err = run(client, shlex.join([*hostctl, "stop-osd", "0"]))
        assert code == 2
        assert "osd.0 does not live on host node2" in err
        code, out, _ = run(client, shlex.join([*hostctl, "stop-osd", "5"]))
        assert code == 0
        assert json.loads(out) == {"osd_id": 5, "running": False}
        assert not cluster.osd_daemon(layout, 5, "node2").running()
        # A memstore OSD keeps its objects only if it saved them when it stopped.
        stored = sum(f.stat().st_size for f in (layout.root / "osd" / "osd.5").rglob("*")
                     if f.is_file())
        assert stored > 500_000, f"osd.5 left {stored} bytes on disk"
        code, out, _ = run(client, shlex.join([*hostctl, "start-osd", "5"]))
        assert code == 0
    finally:
        client.close()
    sandbox.up()  # back to HEALTH_OK before the next test
    sandbox.verify()


def test_verify_catches_a_corrupted_and_a_missing_object(sandbox: Sandbox) -> None:
    assert sandbox.verify() == 400
    with cluster.connect(sandbox.layout()) as mon:
        ioctx = mon.open_ioctx("data")
        try:
            original_7 = ioctx.read("obj-00007", length=1 << 20)
            original_9 = ioctx.read("obj-00009", length=1 << 20)
            ioctx.write("obj-00007", b"X", 100)  # one byte changed in place
            ioctx.remove_object("obj-00009")
            with pytest.raises(VerifyFailed) as caught:
                sandbox.verify()
            assert caught.value.corrupt == ["data/obj-00007"]
            assert caught.value.missing == ["data/obj-00009"]
            assert "1 missing (data/obj-00009)" in str(caught.value)
        finally:
            ioctx.write_full("obj-00007", original_7)
            ioctx.write_full("obj-00009", original_9)
            ioctx.close()
    assert sandbox.verify() == 400


def test_a_reef_sandbox_runs_beside_the_first_and_down_leaves_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    second = Sandbox(tmp_path / "second")
    try:
        started = time.monotonic()
        report = second.up(timeout=180, release=Release.REEF)
        # Within the 90 s promised once the chroot is cached (22 s seen for this topology).
        assert report.health == "HEALTH_OK" and time.monotonic() - started < 90
        first, other = sandbox.layout(), second.layout()
        assert (other.release, first.release) == ("reef", "pacific")
        assert first.subnet != other.subnet
        assert first.fsid != other.fsid
        assert first.redis_url != other.redis_url
        with cluster.connect(other) as mon:
            assert {kind: [str(r) for r in releases] for kind, releases in
                    Versions.model_validate(mon.command("versions")).releases().items()} \
                == {"mon": ["reef"], "mgr": ["reef"], "osd": ["reef"]}
        assert sandbox.status().health == "HEALTH_OK"
        # The chroot's binds live in each daemon's own mount namespace, never in the host's:
        # a daemon that dies, however it dies, takes them with it.
        assert other.chroot is not None and other.chroot not in _mounts("self")
        osd = cluster.osd_daemon(other, 0, "node0")
        # Seen from inside the chroot, the sandbox's folder is a mount point of its own.
        points = [line.split()[4] for line in _mounts(str(osd.pid())).splitlines()]
        assert str(other.root) in points and "/proc" in points, points
        assert processes_under(second.root)
    finally:
        second.down()
    assert processes_under(second.root) == []
    assert not second.root.exists()
    assert other.chroot not in _mounts("self")
    assert sandbox.status().health == "HEALTH_OK"


def _mounts(pid: str) -> str:
    return Path(f"/proc/{pid}/mountinfo").read_text()
