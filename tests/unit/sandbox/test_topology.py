"""Topology files: the shapes a sandbox takes, refused before anything starts if unplaceable."""

from __future__ import annotations

from pathlib import Path

import pytest

from cephmaint.sandbox.topology import BUILT_IN, FailureDomain, Store, load_topology
from inventory import InventoryError

EXAMPLE = """\
object_size: 16KiB
store: memstore
pg_log: short
hosts:
  a1: {osds: 2, rack: ra, class: hdd}
  a2: {osds: 1, rack: ra, class: ssd, mon: true, mgr: true}
  b2: {osds: 1, rack: rb, class: ssd, mon: true}
  b1: {osds: 3, rack: rb, class: hdd}
  c1: {osds: 2, rack: rc, mon: true, mds: true}
  new1: {osds: 0, rack: rc, devices: 2}
pools:
  - {name: rbd, size: 3, min_size: 2, failure_domain: rack, pg_num: 32, objects: 300}
  - {name: hot, size: 2, min_size: 1, failure_domain: host, device_class: ssd,
     pg_num: 16, objects: 50}
  - {name: arch, erasure: {k: 2, m: 1}, failure_domain: host, pg_num: 16, objects: 80}
"""


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topology.yaml"
    path.write_text(text)
    return path


def refused(tmp_path: Path, text: str, *words: str) -> str:
    """The topology is refused; the message holds file:line and the words."""
    path = written(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_topology(path)
    message = str(caught.value)
    assert f"{path}:" in message
    for word in words:
        assert word in message, message
    return message


def test_the_issue_example_loads_with_every_default_filled_in(tmp_path: Path) -> None:
    topology = load_topology(written(tmp_path, EXAMPLE))
    assert topology.object_size == 16 * 1024 and topology.store == Store.MEMSTORE
    assert topology.hosts["c1"].device_class == "hdd" and topology.hosts["new1"].device_count == 2
    assert topology.hosts["a1"].device_count == 3  # one free disk beside its OSDs
    assert topology.daemon_hosts("mon") == ("a2", "b2", "c1")
    assert topology.daemon_hosts("mgr") == ("a2",) and topology.daemon_hosts("mds") == ("c1",)
    rbd, hot, arch = topology.pools
    assert (rbd.width, rbd.copies_needed) == (3, 2)
    assert (arch.width, arch.copies_needed) == (3, 3)
    assert topology.failure_domains(rbd) == {"ra", "rb", "rc"}
    assert topology.failure_domains(hot) == {"a2", "b2"}
    assert topology.widest_failure_domain == FailureDomain.RACK


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_topology_loads(name: str) -> None:
    topology = load_topology(name)
    assert topology.pools and sum(h.osds for h in topology.hosts.values()) >= 6
    assert any(not h.osds and h.device_count for h in topology.hosts.values())  # a spare


def test_the_default_topology_is_the_first_sandbox() -> None:
    topology = load_topology("default")
    assert list(topology.hosts) == ["node0", "node1", "node2", "spare-3.dc1"]
    assert [(p.name, p.width, p.copies_needed, p.pg_num, p.objects)
            for p in topology.pools] == [("data", 2, 1, 32, 400)]


def test_a_mon_and_a_mgr_go_to_the_first_host_unless_placed(tmp_path: Path) -> None:
    topology = load_topology(written(tmp_path, EXAMPLE.replace(", mon: true", "")
                                     .replace(", mgr: true", "")))
    assert topology.daemon_hosts("mon") == ("a1",) and topology.daemon_hosts("mgr") == ("a1",)


def test_a_pool_wider_than_its_failure_domains_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, EXAMPLE.replace("size: 3, min_size: 2, failure_domain: rack",
                                                "size: 4, min_size: 2, failure_domain: rack"),
                      "pools[0].size", "pool rbd needs 4 racks (size) but the topology has 3")
    assert ":12:" in message


def test_an_erasure_pool_wider_than_its_class_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("erasure: {k: 2, m: 1}, failure_domain: host,",
                                      "erasure: {k: 2, m: 1}, failure_domain: host, "
                                      "device_class: ssd,"),
            "pools[2].erasure", "needs 3 hosts (k+m) but the topology has 2 with device "
                                "class ssd")


def test_an_unknown_device_class_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("device_class: ssd", "device_class: nvme"),
            "pools[1].device_class", "no OSD has device class nvme (classes: hdd, ssd)")


@pytest.mark.parametrize(("change", "where"), [
    (("a1: {osds: 2,", "a1: {osds: -2,"), "hosts.a1.osds"),
    (("pg_num: 32", "pg_num: 0"), "pools[0].pg_num"),
    (("objects: 300", "objects: -1"), "pools[0].objects"),
    (("new1: {osds: 0, rack: rc, devices: 2}", "new1: {osds: 3, rack: rc, devices: 2}"),
     "hosts.new1.devices"),
])
def test_negative_or_impossible_counts_are_refused(tmp_path: Path, change: tuple[str, str],
                                                   where: str) -> None:
    refused(tmp_path, EXAMPLE.replace(*change), where)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("  b1: {osds: 3", "  a1: {osds: 3"), "a1")
    refused(tmp_path, EXAMPLE.replace("name: arch", "name: hot"), "pools[2].name",
            "pool hot is defined twice")
    refused(tmp_path, EXAMPLE.replace("rack: rc, mon: true", "rack: a1, mon: true"),
            "a1 is both a host and a rack")


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("pg_log: short", "pg_log: short\nreplicas: 3"),
            "unknown key 'replicas'")
    refused(tmp_path, EXAMPLE.replace("class: hdd}", "class: hdd, disks: 2}", 1),
            "hosts.a1", "unknown key 'disks'")


def test_a_rack_pool_with_a_host_in_no_rack_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("b1: {osds: 3, rack: rb,", "b1: {osds: 3,"),
            "pools[0].failure_domain", "spreads over racks but host b1 is in none")


def test_a_shared_db_device_needs_bluestore(tmp_path: Path) -> None:
    refused(tmp_path, EXAMPLE.replace("b1: {osds: 3,", "b1: {db_shared: true, osds: 3,"),
            "hosts.b1.db_shared", "needs store: bluestore")
    blue = EXAMPLE.replace("store: memstore", "store: bluestore")
    loaded = load_topology(written(tmp_path, blue.replace("b1: {osds: 3,",
                                                          "b1: {db_shared: true, osds: 3,")))
    assert loaded.hosts["b1"].db_shared


def test_sizes_take_units_and_sizes_of_erasure_pools_are_k_plus_m(tmp_path: Path) -> None:
    topology = load_topology(written(tmp_path, EXAMPLE.replace("16KiB", "4 KiB")))
    assert topology.object_size == 4096
    refused(tmp_path, EXAMPLE.replace("erasure: {k: 2, m: 1},", "erasure: {k: 2, m: 1}, "
                                                                  "size: 3,"),
            "an erasure pool's size is k+m")
