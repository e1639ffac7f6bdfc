"""A per-OSD backfill limit holds through a drain, on Pacific (wpq) and on Reef (mClock).

The operator's cluster-wide settings allow four backfills per OSD (and, on Reef, switch
mClock's override on so that they count). The inventory asks for one while a maintenance
moves data: cephmaint sets it per OSD through the scheduler's own options, and the OSDs'
own reservation queues (`dump_recovery_reservations` on each admin socket, sampled
throughout the drain) show PGs waiting and never more than one backfill in progress per
OSD, each way. At the end the config database holds the operator's entries again, and
nothing of ours.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ceph_tasks.ceph.models.versions import Release
from dyrygent.states import WorkflowState
from inventory import Inventory, RecoveryPace, RecoverySettings, load_inventory, write_inventory
from tests.integration.workflows.conftest import WorkflowBench, bench_on
from tests.support.admin_socket import ask
from tests.support.poll import poll
from workflows.move_once import Strategy

pytestmark = pytest.mark.integration

#: What the operator configured for every OSD before the maintenance.
#: On Reef the override comes first: an OSD under mClock without it removes any
#: osd_max_backfills from the config database (seen in the monitors' audit log).
OPERATORS = {Release.PACIFIC: {"osd_max_backfills": "4"},
             Release.REEF: {"osd_mclock_override_recovery_settings": "true",
                            "osd_max_backfills": "4"}}
LIMIT = 1


@pytest.fixture(scope="module", ids=str, params=[
    # In --full: the CI tier's minutes go to the Reef matrix, whose cases run under per-OSD
    # recovery settings too (the plan's mechanism checked, nothing left after).
    pytest.param(Release.PACIFIC, marks=pytest.mark.full),
    pytest.param(Release.REEF, marks=pytest.mark.full)])
def bench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[WorkflowBench]:
    """A default sandbox of the release, the operator's settings, and the inventory's limit."""
    release: Release = request.param
    with bench_on(tmp_path_factory.mktemp(f"limits-{release}"),
                  release=release) as bench:
        root = bench.sandbox.root
        for option, value in OPERATORS[release].items():
            done = subprocess.run(
                ["ceph", "--conf", str(root / "ceph.conf"), "--keyring", str(root / "keyring"),
                 "--name", "client.admin", "config", "set", "osd", option, value],
                timeout=60, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
        [cluster] = load_inventory(bench.inventory_path).clusters
        throttles = cluster.throttles.model_copy(update={
            # One weight step and no gate of our own: every PG wants to move at once, and
            # only the OSDs' reservations hold them back.
            "crush_weight_step": 4.0, "max_backfilling_pgs": 1000,
            "recovery": RecoverySettings(backfills_per_osd=LIMIT, pace=RecoveryPace.GENTLE)})
        write_inventory(Inventory(clusters=(cluster.model_copy(
            update={"throttles": throttles}),)), bench.inventory_path)
        bench.release = release  # type: ignore[attr-defined]
        yield bench


@dataclass
class Reservations:
    """The most backfills in progress and the waits seen on each OSD's admin socket."""

    sockets: list[Path]
    in_progress: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    allowed: set[int] = field(default_factory=set)
    looks: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Look at every OSD, again and again, until stopped."""
        while not self.stop.is_set():
            for sock in self.sockets:
                try:
                    dump = ask(sock, "dump_recovery_reservations", timeout=2)
                except (OSError, ValueError):
                    continue  # an OSD stopping at the end of the decommission
                self.look(sock.name, dump)
            self.looks += 1

    def look(self, osd: str, dump: dict[str, Any]) -> None:
        """Keep the most seen in progress, each way, and whether any PG waited."""
        for way in ("local_reservations", "remote_reservations"):
            side = dump[way]
            key = f"{osd} {way}"
            self.in_progress[key] = max(self.in_progress.get(key, 0), len(side["in_progress"]))
            queued = sum(len(q.get("items", [])) for q in side["queues"])
            self.waiting += 1 if queued else 0
            if side["in_progress"] or queued:
                self.allowed.add(int(side["max_allowed"]))


@pytest.mark.timeout(900)
def test_a_drain_with_a_backfill_limit_of_one_never_runs_more_per_osd(
        bench: WorkflowBench) -> None:
    release: Release = bench.release  # type: ignore[attr-defined]
    objects = bench.sandbox.verify()
    plan = bench.plan("decommission", "node2", strategy=Strategy.DRAIN_FILL)
    scheduler = "wpq" if release is Release.PACIFIC else "mclock"
    text = plan.render()
    assert f"osd.0-5 ({scheduler}):" in text, text
    if release is Release.REEF:
        assert "profile high_client_ops" in text and "the operator's kept: " \
            "osd_mclock_override_recovery_settings true (osd)" in text, text
    sockets = sorted((bench.sandbox.root / "run").glob("osd.*.asok"))
    seen = Reservations(sockets)
    sampler = threading.Thread(target=seen.run, daemon=True)
    sampler.start()
    try:
        handle = bench.submit(plan)
        state = poll(lambda: handle.status().state if handle.status().state.finished
                     else None, timeout=600, interval=1,
                     what=lambda _: f"the decommission to end: {handle.status().to_dict()}")
    finally:
        seen.stop.set()
        sampler.join(timeout=10)
    assert state == WorkflowState.SUCCESS, handle.status().failed
    assert seen.waiting > 0, f"no PG waited for a backfill slot in {seen.looks} looks"
    assert max(seen.in_progress.values()) == LIMIT, seen.in_progress
    assert seen.allowed == {LIMIT}, seen.allowed
    bench.wait_healthy(timeout=120)
    assert bench.sandbox.verify() == objects
    # The operator's entries again, and none of ours.
    entries = {(e.section, e.name): e.value for e in bench.with_ceph(lambda c: c.config_dump())}
    ours = {k: v for k, v in entries.items() if k[0].startswith("osd.")}
    assert ours == {}, ours
    for option, value in OPERATORS[release].items():
        assert entries[("osd", option)] == value
