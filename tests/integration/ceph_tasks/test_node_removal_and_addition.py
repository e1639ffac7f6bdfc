"""Guards, removing node2 and adding the spare, run by a real worker against a real sandbox.

The tests run in file order on one sandbox, as one maintenance would: refused removal,
drain, removal, removal again, refused removal of a needed host, addition, addition again,
weight raised. Draining and raising are done here by plain mon commands, so these tests
prove the removal and addition tasks alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import OsdTree
from ceph_tasks.errors import Refused
from tests.integration.ceph_tasks.conftest import TaskBench
from tests.support import ceph as support

pytestmark = pytest.mark.integration

NODE2_OSDS = [4, 5]
#: The sandbox's spare hardware, named as real hosts are.
SPARE = "spare-3.dc1"


@pytest.fixture(scope="module")
def maintenance() -> str:
    """One maintenance reference for the whole module, as a workflow would use."""
    return f"test-nodes-{uuid.uuid4().hex[:8]}"


@contextmanager
def ceph_of(bench: TaskBench) -> Iterator[Ceph]:
    ceph = bench.ceph()
    try:
        yield ceph
    finally:
        ceph.client.close()


def tree(bench: TaskBench) -> OsdTree:
    with ceph_of(bench) as ceph:
        return ceph.osd_tree()


def reweight(bench: TaskBench, osds: list[int], weight: float) -> None:
    with ceph_of(bench) as ceph:
        for osd in osds:
            ceph.client.mon_command("osd crush reweight", name=f"osd.{osd}", weight=weight)


def wait_healthy(bench: TaskBench, timeout: float = 180) -> None:
    """Wait for a healthy cluster, several looks in a row, through one client."""
    with ceph_of(bench) as ceph:
        support.wait_healthy(ceph.status, timeout=timeout)


def test_guards_pass_on_a_healthy_cluster_and_refuse_what_would_lose_data(
        fresh_bench: TaskBench) -> None:
    name = fresh_bench.name
    assert fresh_bench.run("cephmaint.check_healthy_to_start", cluster=name)["health"] == (
        "HEALTH_OK")
    assert fresh_bench.run("cephmaint.check_ok_to_stop", cluster=name,
                           osd_ids=NODE2_OSDS)["ok_to_stop"]
    assert fresh_bench.run("cephmaint.check_removal", cluster=name,
                           hosts=["node2"])["osds"] == NODE2_OSDS
    with pytest.raises(Refused, match=r"osd\.4, osd\.5 still hold PGs"):
        fresh_bench.run("cephmaint.check_safe_to_destroy", cluster=name, osd_ids=NODE2_OSDS)
    with pytest.raises(Refused, match=r"pool data \(size 2\).* only 1 host would be left"):
        fresh_bench.run("cephmaint.check_removal", cluster=name, hosts=["node1", "node2"])
    with pytest.raises(Refused, match="not ok"):
        fresh_bench.run("cephmaint.check_ok_to_stop", cluster=name, osd_ids=[0, 1, 2, 3])


def test_removing_node2_while_it_holds_pgs_is_refused_and_changes_nothing(
        fresh_bench: TaskBench, maintenance: str) -> None:
    before = tree(fresh_bench)
    with pytest.raises(Refused, match=r"not safe to destroy osd\.4, osd\.5"):
        fresh_bench.run("cephmaint.remove_node", cluster=fresh_bench.name, host="node2",
                        reference=maintenance)
    assert tree(fresh_bench) == before
    with ceph_of(fresh_bench) as ceph:
        osdmap = ceph.status().osdmap
    assert (osdmap.num_osds, osdmap.num_up_osds, osdmap.num_in_osds) == (6, 6, 6)
    assert fresh_bench.sandbox.verify() == 400


def test_a_drained_node2_is_removed_and_every_object_stays_intact(
        fresh_bench: TaskBench, maintenance: str) -> None:
    reweight(fresh_bench, NODE2_OSDS, 0.0)
    wait_healthy(fresh_bench)
    result = fresh_bench.run("cephmaint.remove_node", cluster=fresh_bench.name, host="node2",
                             reference=maintenance, mode="purge")
    assert result["purged"] == NODE2_OSDS and result["bucket_removed"]
    after = tree(fresh_bench)
    assert "node2" not in after.hosts()
    assert not {n.id for n in after.osds()} & set(NODE2_OSDS)
    wait_healthy(fresh_bench, timeout=60)
    assert fresh_bench.sandbox.verify() == 400


def test_removing_node2_again_changes_nothing(fresh_bench: TaskBench, maintenance: str) -> None:
    before = tree(fresh_bench)
    result = fresh_bench.run("cephmaint.remove_node", cluster=fresh_bench.name, host="node2",
                             reference=maintenance, mode="purge")
    assert result["changed"] is False and result["osds"] == NODE2_OSDS
    assert tree(fresh_bench) == before


def test_removing_node1_is_then_refused_naming_pool_data_and_the_host_left(
        fresh_bench: TaskBench, maintenance: str) -> None:
    before = tree(fresh_bench)
    assert {h for h, osds in before.hosts().items() if osds} == {"node0", "node1"}
    with ceph_of(fresh_bench) as ceph:
        data = next(p for p in ceph.pool_ls_detail() if p.pool_name == "data")
    assert data.size == 2
    with pytest.raises(Refused) as refused:
        fresh_bench.run("cephmaint.remove_node", cluster=fresh_bench.name, host="node1",
                        reference=maintenance)
    assert ("pool data (size 2) needs 2 host failure domains under root default by CRUSH "
            "rule data-rule, but only 1 host would be left (node0)") in str(refused.value)
    assert tree(fresh_bench) == before


def test_the_spare_is_added_with_empty_osds_at_weight_zero_up_and_in(
        fresh_bench: TaskBench, maintenance: str) -> None:
    result = fresh_bench.run("cephmaint.add_node", cluster=fresh_bench.name, host=SPARE,
                             reference=maintenance)
    # The ids node2's purge freed are the lowest free ones, as Ceph itself would pick.
    assert result["osds"] == result["created_this_run"] == [4, 5, 6]
    after = tree(fresh_bench)
    assert after.hosts()[SPARE] == {4, 5, 6}
    new = [n for n in after.osds() if n.id in (4, 5, 6)]
    assert all(n.crush_weight == 0 and n.up and not n.out for n in new)
    with ceph_of(fresh_bench) as ceph:
        usage = {u.id: u.pgs for u in ceph.osd_df().nodes}
    assert [usage[i] for i in (4, 5, 6)] == [0, 0, 0]
    entries = fresh_bench.ledger().entries(maintenance)
    assert {k: v for k, v in entries.items() if k.startswith("new-osd:")} == {
        "new-osd:spare-3.dc1:/dev/sandbox/spare-3.dc1-sdb": 4,
        "new-osd:spare-3.dc1:/dev/sandbox/spare-3.dc1-sdc": 5,
        "new-osd:spare-3.dc1:/dev/sandbox/spare-3.dc1-sdd": 6,
    }


def test_adding_the_spare_again_creates_nothing(fresh_bench: TaskBench, maintenance: str) -> None:
    before = tree(fresh_bench)
    result = fresh_bench.run("cephmaint.add_node", cluster=fresh_bench.name, host=SPARE,
                             reference=maintenance)
    assert result["created_this_run"] == [] and result["osds"] == [4, 5, 6]
    assert tree(fresh_bench) == before


def test_the_spare_raised_takes_data_and_the_cluster_ends_healthy_and_intact(
        fresh_bench: TaskBench) -> None:
    reweight(fresh_bench, [4, 5, 6], 1.0)
    wait_healthy(fresh_bench)
    with ceph_of(fresh_bench) as ceph:
        usage = {u.id: u.pgs for u in ceph.osd_df().nodes}
    assert sum(usage[i] for i in (4, 5, 6)) > 0
    assert fresh_bench.run("cephmaint.check_healthy_to_start",
                           cluster=fresh_bench.name)["health"] == "HEALTH_OK"
    assert fresh_bench.sandbox.verify() == 400
