"""Fixtures for maintenance workflows run end to end by real worker processes on a sandbox.

The worker runs `cephmaint.worker:app`: every cephmaint task, the workflow processor and the
guardian. The inventory is the sandbox's own with a real Alertmanager as its monitoring, so
that downtimes set and lifted by a workflow can be seen.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from celery import Celery

from ceph_tasks.audit import SqlAuditStore
from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.ceph.models import OsdDump, OsdTree
from ceph_tasks.ceph.models.versions import Release
from ceph_tasks.errors import CephError
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.ledger_mirror import ConfigKeyMirror
from ceph_tasks.settings import Settings
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import Topology
from dyrygent.handle import WorkflowHandle
from inventory import (
    AlertmanagerTarget,
    Cluster,
    Inventory,
    MonitoringTargets,
    load_inventory,
    write_inventory,
)
from tests.support.alertmanager import private_alertmanager
from tests.support.audit import changes_since
from tests.support.ceph import wait_healthy
from tests.support.poll import poll
from tests.support.worker import ROOT, celery_worker
from workflows.builders import Timing
from workflows.engine import processor_of, worker_app
from workflows.plan import MaintenancePlan
from workflows.planning import MOVING_DATA, Kind, plan_maintenance, stopped_by, target_cluster
from workflows.snapshot import read_cluster_state
from workflows.submission import submit

#: Flags a data move sets on the pools whose data moves, never cluster-wide.
MOVE_FLAGS = frozenset({"noscrub", "nodeep-scrub"})
#: Short looks and limits: the sandbox holds a few MB and moves them in seconds.
TIMING = Timing(drain=300, healthy=180, health_interval=2, technician=300,
                technician_interval=2, downtime=3600)
#: The commands that move or remove data: none may be sent twice.
MOVES = ("osd crush reweight", "osd out", "osd crush rm")


@dataclass
class WorkflowBench:
    """A sandbox, an Alertmanager, a worker running workflows on them, and a client app."""

    sandbox: Sandbox
    app: Celery
    settings: Settings
    inventory_path: Path
    alertmanager_url: str
    logdir: Path
    #: The worker bench_on started (a test may kill it and start another).
    worker: subprocess.Popen[bytes] | None = None

    @property
    def cluster(self) -> Cluster:
        """The cluster as the worker's inventory describes it."""
        return load_inventory(self.inventory_path).cluster(self.sandbox.layout().name)

    @property
    def env(self) -> dict[str, str]:
        """What a cephmaint process (worker or CLI) needs to find broker, state and inventory."""
        return {"CEPHMAINT_BROKER_URL": self.settings.broker_url,
                "CEPHMAINT_REDIS_URL": self.settings.redis_url,
                "CEPHMAINT_INVENTORY": str(self.inventory_path),
                "CEPHMAINT_STEP_LEASE_SECONDS": str(self.settings.step_lease_seconds),
                "CEPHMAINT_RESCUE_AFTER_SECONDS": str(self.settings.rescue_after_seconds),
                "CEPHMAINT_STATE_REPLICAS": str(self.settings.state_replicas)}

    def plan(self, kind: str, host: str, *, new_host: str | None = None,
             timing: Timing = TIMING, **options: Any) -> MaintenancePlan:
        """Plan a maintenance from the live cluster, as `cephmaint plan` does."""
        cluster = target_cluster(Kind(kind), host, load_inventory(self.inventory_path))
        state = read_cluster_state(cluster, stopped=stopped_by(Kind(kind), host),
                                   upmaps=Kind(kind) in MOVING_DATA)
        return plan_maintenance(Kind(kind), host, cluster=cluster, state=state,
                                new_host=new_host, timing=timing, **options)

    def submit(self, plan: MaintenancePlan) -> WorkflowHandle:
        """Submit a plan with its guardian, as `cephmaint run` does."""
        return submit(plan, self.app)

    def handle(self, workflow_id: str) -> WorkflowHandle:
        """The engine's handle of a submitted workflow."""
        return processor_of(self.app).handle(workflow_id)

    def ledger(self) -> RedisLedger:
        """The ledger the worker writes to."""
        return RedisLedger.from_url(self.settings.redis_url)

    def audit(self) -> SqlAuditStore:
        """The audit trail the worker and the command line write to."""
        return SqlAuditStore.from_url(self.settings.audit_location)

    def with_ceph(self, read: Callable[[Ceph], Any]) -> Any:
        """Read something with a fresh client of the sandbox cluster."""
        ceph = Ceph(RadosClient.for_cluster(self.cluster))
        try:
            return read(ceph)
        finally:
            ceph.client.close()

    def copies(self) -> dict[str, dict[str, Any]]:
        """The ledger's copies on the cluster, by reference (config-key cephmaint/ledger/)."""
        copies: dict[str, dict[str, Any]] = self.with_ceph(
            lambda c: ConfigKeyMirror(c.client).records())
        return copies

    def tree(self) -> OsdTree:
        """The CRUSH tree now."""
        tree: OsdTree = self.with_ceph(lambda c: c.osd_tree())
        return tree

    def dump(self) -> OsdDump:
        """The osdmap now (flags)."""
        dump: OsdDump = self.with_ceph(lambda c: c.osd_dump())
        return dump

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the cephmaint command line in its own process, on this bench's settings."""
        return subprocess.run([sys.executable, "-m", "cephmaint.cli", *args], cwd=ROOT,
                              env={**os.environ, **self.env}, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def hostctl(self, host: str, *words: str) -> None:
        """Act on a sandbox host's daemons, as an operator (or a failure) would."""
        subprocess.run([sys.executable, "-m", "cephmaint.sandbox.hostctl", "--root",
                        str(self.sandbox.root), "--host", host, *words],
                       check=True, timeout=120, capture_output=True)

    def silences(self, reference: str) -> list[dict[str, Any]]:
        """The Alertmanager's silences set by a maintenance."""
        found = requests.get(f"{self.alertmanager_url}/api/v2/silences", timeout=5).json()
        return [s for s in found if f"[cephmaint:{reference}]" in s["comment"]]

    def wait_healthy(self, timeout: float = 180) -> None:
        """Wait for a healthy cluster, several looks in a row, each through a fresh client."""
        wait_healthy(lambda: self.with_ceph(lambda c: c.status()), timeout=timeout)

    def silence_states(self, reference: str) -> dict[str, list[str]]:
        """Alertmanager silence states of a maintenance, by host."""
        found: dict[str, list[str]] = {}
        for silence in self.silences(reference):
            value = next(m["value"] for m in silence["matchers"] if m["name"] == "instance")
            # The matcher is the host as a regex (dots escaped) with an optional port.
            host = value.removesuffix("(:[0-9]+)?").replace("\\", "")
            found.setdefault(host, []).append(silence["status"]["state"])
        return found

    def restored(self, reference: str, hosts: list[str]) -> bool:
        """The maintenance's flags are unset and its silences of these hosts all expired."""
        states = self.silence_states(reference)
        dump = self.dump()
        return (not dump.flags & MOVE_FLAGS and not self.paused_scrubs()
                and not any(dump.host_flags(h) for h in hosts)
                and all(states.get(h) and set(states[h]) == {"expired"} for h in hosts))

    def paused_scrubs(self) -> dict[str, frozenset[str]]:
        """The pools with scrub flags set, and which (cluster-wide ones are never ours)."""
        return {pool: flags & MOVE_FLAGS for pool, flags in self.dump().pool_flags.items()
                if flags & MOVE_FLAGS}

    def wait_restored(self, reference: str, hosts: list[str], *, after: str,
                      timeout: float = 60) -> None:
        """Wait until the maintenance's flags are unset and its silences of hosts expired."""
        poll(lambda: self.restored(reference, hosts), timeout=timeout, interval=0.5,
             what=lambda _: (f"flags and downtime restored after {after}; flags "
                             f"{self.dump().flags}, silences {self.silence_states(reference)}"))

    def wait_settled(self, reference: str, hosts: list[str], *, after: str) -> None:
        """wait_restored, and the maintenance's ledger copies dropped from the cluster."""
        self.wait_restored(reference, hosts, after=after)
        poll(lambda: reference not in self.copies(), timeout=30, interval=0.5,
             what=lambda _: f"the ledger's copies of {reference} dropped: {self.copies()}")

    def changes_sent(self, mark: str, prefixes: tuple[str, ...] = MOVES) -> list[str]:
        """cephmaint's changes of these prefixes since mark, in order, as Ceph's audit log
        has them."""
        return [m.split("cmd=", 1)[-1]
                for m in self.with_ceph(lambda c: changes_since(c.client, mark))
                if any(f'"prefix": "{p}"' in m for p in prefixes)]

    def refresh_inventory(self) -> None:
        """Rewrite the inventory from the live cluster, as an operator does after hardware
        changed; the workers read it again on their next task."""
        kept = {"monitoring": self.cluster.monitoring, "throttles": self.cluster.throttles}
        [cluster] = load_inventory(self.sandbox.refresh_inventory()).clusters
        write_inventory(Inventory(clusters=(cluster.model_copy(update=kept),)),
                        self.inventory_path)

    def new_disks(self, host: str, serial_prefix: str) -> list[str]:
        """What a technician does to a host: every disk swapped for a new one; the serials."""
        serials = []
        for index, device in enumerate(self.sandbox.layout().host(host).devices):
            serial = f"{serial_prefix}-{index}"
            self.hostctl(host, "swap-disk", device.path, serial)
            serials.append(serial)
        return serials


def node_states(handle: WorkflowHandle, plan: MaintenancePlan) -> dict[str, str]:
    """Every step's state."""
    return {s.id: str(handle.node(s.id)["state"]) for s in plan.steps}


def _balancer_off(ceph: Ceph) -> bool:
    try:
        ceph.client.mgr_command("balancer off")
        return not ceph.client.mgr_command("balancer status", format="json")["active"]
    except CephError:
        return False  # the mgr may still be starting its modules


@contextmanager
def bench_on(root: Path, topology: Topology | None = None, step_lease: float | None = None,
             broker_url: str | None = None, redis_url: str | None = None,
             state_replicas: int = 0,
             worker_env: Mapping[str, str] | None = None,
             release: Release | None = None) -> Iterator[WorkflowBench]:
    """A fresh sandbox of the topology under root, an Alertmanager, and a workflows worker.

    step_lease: the steps' lease and the rescue time of ticks and guardians, both (seconds);
    broker_url, redis_url: a broker and a state Redis other than the sandbox's Redis;
    state_replicas: the replicas each workflow transition waits for; worker_env: settings
    of the worker's own (its admin host's), over the bench's; release: the Ceph release of
    the sandbox's daemons (the host's by default).
    """
    box = Sandbox(root / "sbx")
    try:
        box.up(timeout=180, topology=topology, release=release)
        assert release is None or box.layout().release == release.codename
        with private_alertmanager(root / "alertmanager") as url:
            layout = box.layout()
            [cluster] = load_inventory(layout.inventory_path).clusters
            cluster = cluster.model_copy(update={
                "monitoring": MonitoringTargets(alertmanager=AlertmanagerTarget(url=url))})
            inventory = root / "inventory.yaml"
            write_inventory(Inventory(clusters=(cluster,)), inventory)
            settings = Settings(broker_url=broker_url or layout.redis_url,
                                redis_url=redis_url or layout.redis_url,
                                state_replicas=state_replicas, inventory_path=inventory)
            if step_lease is not None:
                settings = settings.model_copy(update={"step_lease_seconds": step_lease,
                                                       "rescue_after_seconds": step_lease})
            app = worker_app(settings, name=f"client-{uuid.uuid4().hex[:6]}")
            bench = WorkflowBench(box, app, settings, inventory, url, root / "logs")
            # The mgr balancer is on by default, and each maintenance turns it back on at
            # its end, which makes it move PGs at once: the next scenario would find them
            # remapped. Benches run it off, as the sandbox runs its autoscalers off; the
            # pause and restore of both are tested on their own (test_data_movement).
            poll(lambda: bench.with_ceph(_balancer_off), timeout=60, interval=1,
                 what="the mgr balancer off")
            with celery_worker("cephmaint.worker:app", bench.logdir,
                               {**bench.env, **(worker_env or {})}) as worker:
                bench.worker = worker
                yield bench
    finally:
        box.down()


@pytest.fixture(scope="module")
def workflow_bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    """A fresh sandbox of the default topology for the module, and a workflows worker."""
    with bench_on(tmp_path_factory.mktemp("workflows")) as bench:
        yield bench
