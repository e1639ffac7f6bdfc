"""Reweight, flags and wait-for-healthy, run by a real worker against a real sandbox cluster."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.health_gate import FLAG_CODES
from ceph_tasks.errors import DeadlineExceeded, Refused
from tests.integration.ceph_tasks.conftest import TaskBench
from tests.support.poll import poll

pytestmark = pytest.mark.integration

#: Several looks two seconds apart: a weight change shows clean PGs for a moment before
#: peering starts, and three looks in a row outlast that.
WAIT = {"interval": 2, "confirmations": 3, "timeout": 240}


@contextmanager
def ceph_of(bench: TaskBench) -> Iterator[Ceph]:
    ceph = bench.ceph()
    try:
        yield ceph
    finally:
        ceph.client.close()


def wait_healthy(bench: TaskBench, reference: str, **kwargs: Any) -> Any:
    """Run wait_healthy (its timeout argument is the task's, not the result's)."""
    kwargs = {**WAIT, **kwargs}
    result = bench.send("cephmaint.wait_healthy", cluster=bench.name, reference=reference,
                        **kwargs)
    return result.get(timeout=kwargs["timeout"] + 60, propagate=True)


def weights(bench: TaskBench) -> dict[int, float]:
    with ceph_of(bench) as ceph:
        return ceph.osd_tree().crush_weights()


def flags(bench: TaskBench) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    with ceph_of(bench) as ceph:
        dump = ceph.osd_dump()
    return dump.flags, dump.crush_node_flags


def pool_flags(bench: TaskBench) -> dict[str, frozenset[str]]:
    with ceph_of(bench) as ceph:
        return ceph.osd_dump().pool_flags


def hostctl(bench: TaskBench, host: str, *words: str) -> None:
    subprocess.run([sys.executable, "-m", "cephmaint.sandbox.hostctl", "--root",
                    str(bench.sandbox.root), "--host", host, *words],
                   check=True, timeout=120, capture_output=True)


def run_watching_weights(bench: TaskBench, task: str, **kwargs: Any
                         ) -> tuple[Any, list[dict[int, float]]]:
    """Run a task; return its result and every distinct set of CRUSH weights seen meanwhile."""
    result = bench.send(task, **kwargs)
    seen: list[dict[int, float]] = []
    with ceph_of(bench) as ceph:

        def watch() -> bool:
            if result.ready():
                return True
            now = ceph.osd_tree().crush_weights()
            if now not in seen:
                seen.append(now)
            return False

        poll(watch, timeout=240, interval=0.2, what=lambda _: f"{task} to end; weights {seen}")
    return result.get(timeout=5, propagate=True), seen


def test_flags_are_set_and_restored_and_an_operators_flag_stays(
        fresh_bench: TaskBench, reference: str) -> None:
    with ceph_of(fresh_bench) as ceph:
        ceph.client.mon_command("osd set", key="nodeep-scrub")  # the operator's own
    cluster = fresh_bench.name
    wanted = ["noout", "noscrub", "nodeep-scrub"]

    first = fresh_bench.run("cephmaint.set_flags", cluster=cluster, reference=reference,
                            flags=wanted)
    assert first["set"] == ["noout", "noscrub"]
    assert first["already_set"] == ["nodeep-scrub"]
    on_host = fresh_bench.run("cephmaint.set_flags", cluster=cluster, reference=reference,
                              flags=["noout"], hosts=["node1"])
    assert on_host["set"] == ["noout on node1"]
    on_pool = fresh_bench.run("cephmaint.set_flags", cluster=cluster, reference=reference,
                              flags=["noscrub", "nodeep-scrub"], pools=["data", "gone"])
    assert on_pool["set"] == ["noscrub on pool data", "nodeep-scrub on pool data"]
    assert on_pool["pools_gone"] == ["gone"]
    assert pool_flags(fresh_bench)["data"] >= {"noscrub", "nodeep-scrub"}
    after_set = flags(fresh_bench)
    assert {"noout", "noscrub", "nodeep-scrub"} <= after_set[0]
    assert after_set[1] == {"node1": frozenset({"noout"})}

    again = fresh_bench.run("cephmaint.set_flags", cluster=cluster, reference=reference,
                            flags=wanted)
    assert again["set"] == []
    assert fresh_bench.run("cephmaint.set_flags", cluster=cluster, reference=reference,
                           flags=["noout"], hosts=["node1"])["set"] == []
    assert flags(fresh_bench) == after_set

    # The maintenance's own flags are all that is wrong: tolerated, the cluster is healthy.
    healthy = wait_healthy(fresh_bench, reference, tolerate=sorted(FLAG_CODES))
    assert healthy["healthy"]

    restored = fresh_bench.run("cephmaint.restore", cluster=cluster, reference=reference)
    # One restore for every scope: what this maintenance set goes, the operator's stays.
    assert sorted(restored["changed"]) == [
        "osd pool set data nodeep-scrub 0", "osd pool set data noscrub 0", "osd unset noout",
        "osd unset noscrub", "osd unset-group noout node1"]
    after_restore = flags(fresh_bench)
    assert "nodeep-scrub" in after_restore[0]
    assert not after_restore[0] & {"noout", "noscrub"}
    assert after_restore[1] == {}
    assert not pool_flags(fresh_bench)["data"] & {"noscrub", "nodeep-scrub"}

    twice = fresh_bench.run("cephmaint.restore", cluster=cluster, reference=reference)
    assert twice["changed"] == []
    assert flags(fresh_bench) == after_restore
    with ceph_of(fresh_bench) as ceph:
        ceph.client.mon_command("osd unset", key="nodeep-scrub")


def test_a_flag_outside_the_maintenance_set_is_refused_and_nothing_changes(
        fresh_bench: TaskBench, reference: str) -> None:
    before = flags(fresh_bench)
    with pytest.raises(Refused, match="pause cannot be set cluster-wide"):
        fresh_bench.run("cephmaint.set_flags", cluster=fresh_bench.name, reference=reference,
                        flags=["noout", "pause"])
    with pytest.raises(Refused, match="noscrub cannot be set per host"):
        fresh_bench.run("cephmaint.set_flags", cluster=fresh_bench.name, reference=reference,
                        flags=["noscrub"], hosts=["node1"])
    assert flags(fresh_bench) == before


def test_draining_node2_in_steps_keeps_every_object_and_restoring_puts_it_back(
        fresh_bench: TaskBench, reference: str) -> None:
    cluster = fresh_bench.name
    before = weights(fresh_bench)
    assert before[4] == before[5] == 1.0

    drained, seen = run_watching_weights(fresh_bench, "cephmaint.reweight", cluster=cluster,
                                         reference=reference, host="node2", target=0, step=0.5)
    assert drained["done"]
    assert drained["weights"] == {"osd.4": 0.0, "osd.5": 0.0}
    # It went by way of 0.5: one step, then a later run for the rest.
    assert any(w[4] == w[5] == 0.5 for w in seen)
    assert fresh_bench.ledger().recall(reference, "weights:4") == 1.0

    wait_healthy(fresh_bench, reference)
    assert fresh_bench.sandbox.verify() == 400
    with ceph_of(fresh_bench) as ceph:
        assert ceph.osd_df().pgs_on(frozenset({4, 5})) == 0

    drained_weights = weights(fresh_bench)
    second = fresh_bench.run("cephmaint.reweight", cluster=cluster, reference=reference,
                             host="node2", target=0, step=0.5)
    assert second["changed"] == {}
    assert weights(fresh_bench) == drained_weights
    assert fresh_bench.ledger().recall(reference, "weights:4") == 1.0

    back, seen = run_watching_weights(fresh_bench, "cephmaint.reweight", cluster=cluster,
                                      reference=reference, host="node2", target="original",
                                      step=0.5)
    assert any(w[4] == w[5] == 0.5 for w in seen)
    assert back["weights"] == {"osd.4": 1.0, "osd.5": 1.0}
    wait_healthy(fresh_bench, reference)
    assert weights(fresh_bench) == before
    assert fresh_bench.sandbox.verify() == 400
    with ceph_of(fresh_bench) as ceph:
        assert ceph.osd_df().pgs_on(frozenset({4, 5})) > 0


def test_waiting_past_the_deadline_with_an_osd_down_names_osd_down(
        fresh_bench: TaskBench, reference: str) -> None:
    cluster = fresh_bench.name
    hostctl(fresh_bench, "node0", "stop-osd", "0")
    try:
        with ceph_of(fresh_bench) as ceph:
            poll(lambda: ceph.status().osdmap.num_up_osds < 6, timeout=60, interval=0.5,
                 what="osd.0 seen down")
        with pytest.raises(DeadlineExceeded, match=r"OSD_DOWN: 1 osds down") as failed:
            wait_healthy(fresh_bench, reference, timeout=5)
        assert f"cluster {cluster}" in str(failed.value)
        assert "undersized" in str(failed.value)
    finally:
        hostctl(fresh_bench, "node0", "start-osd", "0")
    wait_healthy(fresh_bench, reference)


def test_the_balancer_and_autoscalers_are_paused_and_put_back_as_they_were(
        fresh_bench: TaskBench, reference: str) -> None:
    cluster = fresh_bench.name

    def movers() -> tuple[bool, dict[str, str]]:
        with ceph_of(fresh_bench) as ceph:
            balancer = ceph.client.mgr_command("balancer status", format="json")
            return bool(balancer["active"]), {p.pool_name: p.pg_autoscale_mode
                                              for p in ceph.pool_ls_detail()}

    with ceph_of(fresh_bench) as ceph:
        ceph.client.mgr_command("balancer on")
        names = [p.pool_name for p in ceph.pool_ls_detail()]
        for name in names:
            ceph.client.mon_command("osd pool set", pool=name, var="pg_autoscale_mode",
                                    val="on")
    paused = fresh_bench.run("cephmaint.pause_movers", cluster=cluster, reference=reference)
    assert paused["changed"][0] == "balancer off"
    assert movers() == (False, dict.fromkeys(names, "warn"))
    with ceph_of(fresh_bench) as ceph:  # an operator's own change meanwhile stays
        ceph.client.mon_command("osd pool set", pool=names[0], var="pg_autoscale_mode",
                                val="off")

    restored = fresh_bench.run("cephmaint.restore", cluster=cluster, reference=reference)
    assert restored["changed"][0] == "balancer on"
    assert movers() == (True, {names[0]: "off", **dict.fromkeys(names[1:], "on")})
    assert fresh_bench.run("cephmaint.restore", cluster=cluster,
                           reference=reference)["changed"] == []
