"""The sandbox layout and its ceph.conf, as pure data."""

from __future__ import annotations

from pathlib import Path

from cephmaint.sandbox.layout import Layout, make_layout, render_ceph_conf


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
    assert "mon host = v1:127.150.7.1:6789" in conf
    assert "osd objectstore = memstore" in conf
    assert "auth allow insecure global id reclaim = false" in conf
    assert "mon warn on msgr2 not enabled = false" in conf
    for line in conf.splitlines():
        paths = ("run dir =", "admin socket =", "log file =", "mon data =", "osd data =")
        if line.startswith(paths):
            assert "= /tmp/sbx/t/" in line, line
