"""Reweight and wait-for-healthy task bodies, in-process, on a fake cluster and a fake clock.

What the sandbox cannot show on demand: a step held back by the moving-PG cap, a refusal when
the inventory and the CRUSH tree disagree, and the deadline of a wait.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, states
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import CephCommandTimeout, DeadlineExceeded, Refused, TaskFailed
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.base import install_fence
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.health_wait import wait_healthy
from ceph_tasks.tasks.reweight import reweight
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
REF = "maint-1"


def inventory(node2_osds: tuple[int, ...] = (4, 5)) -> Inventory:
    """Three hosts of two OSDs, as the fixtures' CRUSH tree has them; cap of 4 moving PGs."""
    osds = [(0, "node0"), (1, "node0"), (2, "node1"), (3, "node1")]
    osds += [(osd, "node2") for osd in node2_osds]
    return Inventory.model_validate({"clusters": [{
        "name": "c1",
        "access": {"mon_hosts": ["127.0.0.1"]},
        "throttles": {"max_backfilling_pgs": 4, "crush_weight_step": 0.5,
                      "step_interval_seconds": 30},
        "hosts": [{"name": f"node{i}", "datacenter": "DC1", "room": "R1", "rack": f"r{i}",
                   "ssh": {"address": f"127.0.9.{i + 1}"},
                   "daemon_control": {"kind": "systemd"},
                   "devices": [{"path": f"/dev/osd{osd}", "serial": f"S{osd}", "bay": str(osd)}
                               for osd, host in osds if host == f"node{i}"]}
                  for i in range(3)],
        "osds": [{"id": osd, "host": host, "device": f"/dev/osd{osd}", "device_class": "hdd"}
                 for osd, host in osds],
    }]})


class FakeCluster:
    """The healthy fixtures, with CRUSH weights that `osd crush reweight` really changes."""

    def __init__(self) -> None:
        self.client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
        self.tree: dict[str, Any] = json.loads((FIXTURES / "healthy" / "osd_tree.json")
                                               .read_text())
        self.client.answer("osd tree", lambda _: copy.deepcopy(self.tree))
        self.client.answer("osd crush reweight", self._reweight)
        #: Objects recovery copied so far: each weight change moves 10 of 4 KiB.
        self.recovered = 0
        self.client.answer("pg dump", lambda _: {"pg_ready": True, "pg_stats": [
            {"pgid": "1.0", "acting": [0, 2, 4], "stat_sum": {
                "num_objects": 100, "num_objects_recovered": self.recovered,
                "num_bytes_recovered": self.recovered * 4096}}]})

    def _reweight(self, command: CephCommand) -> None:
        self.recovered += 10
        for node in self.tree["nodes"]:
            if node["name"] == command.args["name"]:
                node["crush_weight"] = command.args["weight"]

    def in_state(self, state: str) -> None:
        """Answer `status` as the cluster did in a captured state."""
        self.client.answer("status", json.loads((FIXTURES / state / "status.json").read_text()))

    def weight(self, osd: int) -> float:
        return float(next(n["crush_weight"] for n in self.tree["nodes"] if n["id"] == osd))

    def reweights(self) -> list[dict[str, Any]]:
        return [dict(c.args) for c in self.client.calls if c.prefix == "osd crush reweight"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture
def context(cluster: FakeCluster, clock: Clock, ledger: MemoryLedger,
            task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=inventory(), ledger=ledger, executor=FakeExecutor(),
                      ceph_factory=lambda _: cluster.client, now=clock)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_each_run_takes_one_step_and_the_run_reaching_the_target_finishes(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert cluster.reweights() == [{"name": "osd.4", "weight": 0.5},
                                   {"name": "osd.5", "weight": 0.5}]
    assert ledger.recall(REF, "weights:4") == ledger.recall(REF, "weights:5") == 1.0

    done = reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert done["done"]
    assert done["weights"] == {"osd.4": 0.0, "osd.5": 0.0}
    assert done["original"] == {"osd.4": 1.0, "osd.5": 1.0}
    # The original weights were recorded once, before the first change.
    assert ledger.recall(REF, "weights:4") == 1.0

    calls = len(cluster.client.calls)
    again = reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert again["changed"] == {}
    assert len(cluster.reweights()) == 4
    assert all(c.prefix != "osd crush reweight" for c in cluster.client.calls[calls:])


def test_the_data_moved_counts_from_the_first_look_and_the_health_wait_notes_the_total(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    cluster.recovered = 500  # what recovery copied before this maintenance: not ours
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert ledger.recall(REF, "data-moved") == {"objects": 0, "bytes": 0}
    done = reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    # The first run's two weight steps moved 20 objects; the second run's are not seen yet.
    assert done["moved"] == {"objects": 20, "bytes": 20 * 4096}
    for _ in range(2):
        with pytest.raises(Retry):
            wait_healthy(cluster="c1", reference=REF, interval=1)
    assert wait_healthy(cluster="c1", reference=REF, interval=1)["moved"] == {
        "objects": 40, "bytes": 40 * 4096}
    assert ledger.recall(REF, "data-moved") == {"objects": 40, "bytes": 40 * 4096}


def test_a_run_no_longer_wanted_sends_no_step_and_ends_without_a_result(
        context: TaskContext, cluster: FakeCluster, task_app: Celery) -> None:
    asked: list[str] = []

    def cancelled(task_id: str) -> bool:
        asked.append(task_id)
        return False

    install_fence(task_app, cancelled)
    result = reweight.apply(kwargs={"cluster": "c1", "reference": REF, "host": "node2",
                                    "target": 0, "step": "inventory"}, task_id="run-1")
    assert result.state == states.IGNORED
    assert asked == ["run-1"]
    assert cluster.reweights() == []


def test_no_step_is_taken_while_moving_pgs_reach_the_cap(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    cluster.in_state("draining")  # 9 PGs recovering or waiting to: over the cap of 4
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, osd_ids=[4], target=0, step=0.5)
    assert cluster.reweights() == []
    assert ledger.recall(REF, "weights:4") == 1.0

    cluster.in_state("healthy")
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, osd_ids=[4], target=0, step=0.5)
    assert cluster.weight(4) == 0.5


def test_restoring_goes_back_to_the_recorded_weights_at_once(
        context: TaskContext, cluster: FakeCluster) -> None:
    reweight(cluster="c1", reference=REF, osd_ids=[4, 5], target=0.25)
    assert cluster.weight(4) == cluster.weight(5) == 0.25
    restored = reweight(cluster="c1", reference=REF, osd_ids=[4, 5], target="original")
    assert restored["weights"] == {"osd.4": 1.0, "osd.5": 1.0}


def test_restoring_with_nothing_recorded_is_refused_and_changes_nothing(
        context: TaskContext, cluster: FakeCluster) -> None:
    with pytest.raises(Refused, match=r"no original weight recorded for OSD\(s\) \[4, 5\]"):
        reweight(cluster="c1", reference=REF, host="node2", target="original")
    assert cluster.reweights() == []


def test_a_host_whose_osds_differ_from_the_inventory_is_refused(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    context.inventory = inventory(node2_osds=(4, 6))
    with pytest.raises(Refused, match=r"cluster c1: reweight host node2 .*only in the tree: "
                                      r"\[5\], only in the inventory: \[6\]"):
        reweight(cluster="c1", reference=REF, host="node2", target=0)
    assert cluster.reweights() == []
    assert ledger.entries(REF) == {}


@pytest.mark.parametrize("bad", [{"target": "zero"}, {"target": -1},
                                 {"target": 0, "step": 0}, {"target": 0, "step": "big"}])
def test_a_bad_target_or_step_is_refused(context: TaskContext, cluster: FakeCluster,
                                         bad: dict[str, Any]) -> None:
    with pytest.raises(Refused):
        reweight(cluster="c1", reference=REF, host="node2", **bad)
    assert cluster.reweights() == []


def test_new_osds_are_raised_to_their_device_size_in_tib_where_they_were_created(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    # osd.4 created by this maintenance on a 4 TB disk, osd.5 as the inventory has it (2 TiB).
    data = inventory().model_dump()
    for device in data["clusters"][0]["hosts"][2]["devices"]:
        device["size_bytes"] = {"/dev/osd4": 4_000_787_030_016, "/dev/osd5": 2 << 40}[
            device["path"]]
    context.inventory = Inventory.model_validate(data)
    ledger.remember(REF, "new-osd:node2:/dev/osd4", 4)
    done = reweight(cluster="c1", reference=REF, host="node2", target="device size")
    assert done["target"] == {"osd.4": 3.6387, "osd.5": 2.0}
    assert cluster.weight(4) == 3.6387 and cluster.weight(5) == 2.0


def test_device_size_without_sizes_in_the_inventory_is_refused_naming_the_devices(
        context: TaskContext, cluster: FakeCluster) -> None:
    with pytest.raises(Refused, match=r"no device size in the inventory for osd.4 "
                                      r"\(node2:/dev/osd4\), osd.5 \(node2:/dev/osd5\)"):
        reweight(cluster="c1", reference=REF, host="node2", target="device size")
    assert cluster.reweights() == []


def test_wait_healthy_needs_consecutive_healthy_looks(context: TaskContext) -> None:
    for _ in range(2):
        with pytest.raises(Retry):
            wait_healthy(cluster="c1", reference=REF, confirmations=3)
    result = wait_healthy(cluster="c1", reference=REF, confirmations=3)
    assert result["healthy"]
    assert result["healthy_looks"] == 3
    assert result["pgs_by_state"] == {"active+clean": 33}


def test_an_unhealthy_look_restarts_the_count(context: TaskContext,
                                              cluster: FakeCluster) -> None:
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    cluster.in_state("draining")
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    cluster.in_state("healthy")
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    assert wait_healthy(cluster="c1", reference=REF, confirmations=2)["healthy"]


def test_monitors_that_do_not_answer_are_an_unhealthy_look_not_a_failure(
        context: TaskContext, cluster: FakeCluster, clock: Clock) -> None:
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    cluster.client.answer("status", CephCommandTimeout("status", 110, "timed out"))
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    cluster.in_state("healthy")
    # The healthy look before the monitors went away does not count any more.
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=2)
    assert wait_healthy(cluster="c1", reference=REF, confirmations=2)["healthy"]
    cluster.client.answer("status", CephCommandTimeout("status", 110, "timed out"))
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, timeout=60)
    clock.now += timedelta(seconds=61)
    with pytest.raises(DeadlineExceeded, match="the monitors do not answer"):
        wait_healthy(cluster="c1", reference=REF, timeout=60)


def test_past_its_deadline_the_wait_fails_naming_what_it_saw(
        context: TaskContext, cluster: FakeCluster, clock: Clock) -> None:
    cluster.in_state("osd_down")
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, timeout=60)
    clock.now += timedelta(seconds=61)
    with pytest.raises(DeadlineExceeded) as failed:
        wait_healthy(cluster="c1", reference=REF, timeout=60)
    message = str(failed.value)
    assert "cluster c1: wait for a healthy cluster" in message
    assert "OSD_DOWN: 1 osds down" in message
    assert "10 active+undersized+degraded" in message
    assert "degraded 14.00%" in message


def test_tolerated_codes_let_a_flagged_cluster_pass(context: TaskContext,
                                                    cluster: FakeCluster) -> None:
    cluster.in_state("flags_set")
    with pytest.raises(Retry):
        wait_healthy(cluster="c1", reference=REF, confirmations=1)
    passed = wait_healthy(cluster="c1", reference=REF, confirmations=1,
                          tolerate=["OSDMAP_FLAGS", "OSD_FLAGS"])
    assert passed["healthy"]


def with_ratios(cluster: FakeCluster, nearfull: float, backfillfull: float) -> None:
    """Answer `osd dump` with these ratios, as `ceph osd set-nearfull-ratio` leaves them."""
    dump = json.loads((FIXTURES / "healthy" / "osd_dump.json").read_text())
    cluster.client.answer("osd dump", {**dump, "nearfull_ratio": nearfull,
                                       "backfillfull_ratio": backfillfull})


def test_no_step_is_taken_while_an_osd_is_past_the_clusters_nearfull_ratio(
        context: TaskContext, cluster: FakeCluster, ledger: MemoryLedger) -> None:
    with_ratios(cluster, nearfull=0.001, backfillfull=0.9)  # every fixture OSD is past it
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert cluster.reweights() == []

    with_ratios(cluster, nearfull=0.85, backfillfull=0.9)
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step="inventory")
    assert cluster.weight(4) == 0.5


def test_a_nearfull_health_check_holds_the_step(
        context: TaskContext, cluster: FakeCluster) -> None:
    status = json.loads((FIXTURES / "healthy" / "status.json").read_text())
    status["health"]["checks"] = {"POOL_NEAR_FULL": {
        "severity": "HEALTH_WARN", "summary": {"message": "1 pool(s) nearfull"}}}
    cluster.client.answer("status", status)
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, osd_ids=[4], target=0, step=0.5)
    assert cluster.reweights() == []


def test_a_hold_longer_than_the_inventorys_limit_fails_naming_osd_and_ratio(
        context: TaskContext, cluster: FakeCluster, clock: Clock) -> None:
    with_ratios(cluster, nearfull=0.001, backfillfull=0.9)
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, osd_ids=[4], target=0, step=0.5)
    clock.now += timedelta(hours=6)  # the default full_hold_limit_seconds
    with pytest.raises(TaskFailed, match=r"held 21600 s on full OSDs, past the limit of "
                       r"21600 s .*holding: osd\.\d+ at .* past nearfull 0\.1%"):
        reweight(cluster="c1", reference=REF, osd_ids=[4], target=0, step=0.5)
    assert cluster.reweights() == []
