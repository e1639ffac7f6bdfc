"""The sandbox layout and its ceph.conf, as pure data."""

from __future__ import annotations

from pathlib import Path

from cephmaint.sandbox.layout import Layout, db_path, make_layout, render_ceph_conf
from cephmaint.sandbox.topology import PgLog, Store, load_topology


def layout() -> Layout:
    return make_layout("t", Path("/tmp/sbx/t"), "0123abcd-0000-0000-0000-000000000000",
                       "127.150.7", "redis://127.0.0.1:1/0", True, "/usr/bin/python3")


def test_every_host_has_its_own_address_in_the_sandbox_subnet() -> None:
    hosts = layout().hosts
    assert [h.name for h in hosts] == ["node0", "node1", "node2", "spare-3.dc1"]
    assert [h.address for h in hosts] == [f"127.150.7.{n}" for n in (10, 11, 12, 13)]
    assert [h.initial_osds for h in hosts] == [2, 2, 2, 0]


def test_device_serials_are_unique_and_bays_count_from_one() -> None:
    devices = [d for h in layout().hosts for d in h.devices]
    assert len({d.serial for d in devices}) == len(devices)
    assert {d.bay for d in devices} == {1, 2, 3}
    assert layout().host("spare-3.dc1").device("/dev/sandbox/spare-3.dc1-sdb").bay == 1


def test_layout_survives_a_json_round_trip() -> None:
    original = layout()
    assert Layout.from_json(original.to_json()) == original


def test_ceph_conf_keeps_every_file_under_the_root_and_silences_the_known_warnings() -> None:
    conf = render_ceph_conf(layout())
    assert "mon host = v1:127.150.7.10:6789\nmon initial members = node0\n" in conf
    assert "osd objectstore = memstore" in conf
    assert "auth allow insecure global id reclaim = false" in conf
    assert "mon warn on msgr2 not enabled = false" in conf
    for line in conf.splitlines():
        paths = ("run dir =", "admin socket =", "log file =", "mon data =", "osd data =")
        if line.startswith(paths):
            assert "= /tmp/sbx/t/" in line, line


def mixed() -> Layout:
    return make_layout("m", Path("/tmp/sbx/m"), "0123abcd-0000-0000-0000-000000000000",
                       "127.150.8", "redis://127.0.0.1:1/0", True, "/usr/bin/python3",
                       load_topology("mixed"))


def test_a_topology_places_hosts_in_racks_with_classes_and_spare_devices() -> None:
    hosts = {h.name: h for h in mixed().hosts}
    assert [(h.rack, h.device_class, h.initial_osds, len(h.devices))
            for h in hosts.values()] == [
        ("ra", "hdd", 2, 3), ("ra", "ssd", 1, 2), ("ra", "hdd", 1, 2), ("rb", "hdd", 3, 4),
        ("rb", "ssd", 1, 2), ("rc", "hdd", 2, 3), ("rc", "hdd", 0, 2)]
    assert Layout.from_json(mixed().to_json()).shape() == load_topology("mixed")


def test_every_monitor_listens_on_its_hosts_address_and_pg_logs_are_short() -> None:
    layout = mixed()
    assert layout.mon_addresses == ("127.150.8.11", "127.150.8.14", "127.150.8.15")
    conf = render_ceph_conf(layout)
    assert ("mon host = v1:127.150.8.11:6789,v1:127.150.8.14:6789,v1:127.150.8.15:6789\n"
            "mon initial members = a2,b2,c1\n") in conf
    assert "osd min pg log entries = 2\nosd max pg log entries = 4\n" in conf
    assert "mgr stats period = 1" in conf


def test_pg_logs_keep_cephs_length_when_asked() -> None:
    shape = load_topology("default").model_copy(update={"pg_log": PgLog.DEFAULT})
    layout = make_layout("d", Path("/tmp/sbx/d"), "0123abcd-0000-0000-0000-000000000000",
                         "127.150.9", "redis://127.0.0.1:1/0", True, "/usr/bin/python3", shape)
    assert "pg log" not in render_ceph_conf(layout)


def test_bluestore_keeps_each_block_file_outside_the_osds_folder() -> None:
    shape = load_topology("default").model_copy(update={"store": Store.BLUESTORE})
    layout = make_layout("b", Path("/tmp/sbx/b"), "0123abcd-0000-0000-0000-000000000000",
                         "127.150.9", "redis://127.0.0.1:1/0", True, "/usr/bin/python3", shape)
    conf = render_ceph_conf(layout)
    assert "osd objectstore = bluestore" in conf and "memstore" not in conf.split("#")[0]
    assert "bluestore block path = /tmp/sbx/b/disks/$name.block" in conf
    assert "osd data = /tmp/sbx/b/osd/$name" in conf
    host = layout.host("node1")
    assert db_path(layout, host, 3) == Path("/tmp/sbx/b/disks/node1-db/osd.3.db")
