"""Maintenances for the pages to show: the paper lab cluster under a name of the test's own,
on the session's Redis (state store and broker), with an audit trail in the test's tmp_path.

No worker runs: `run_until` plays the worker's part in the engine (each step before the one
named starts and succeeds, that one starts), and `gate_looks` the technician gate's (its
verdict on the confirmation in the ledger, noted as the task notes it). A cluster name of
its own keeps each test's leases, queue and registry apart from every other test's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery

from ceph_tasks.audit import Query, Record, SqlAuditStore
from ceph_tasks.decisions.technician_gate import (
    Confirmation,
    assess_gate,
    check_evidence,
    confirmation_key,
)
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.base import progress_key
from cephmaint.web.backend import Maintenances
from dyrygent.handle import WorkflowHandle
from dyrygent.processor import task_id
from dyrygent.states import NodeState
from inventory import Cluster, Inventory, parse_inventory
from tests.support.lab import INVENTORY, healthy_state
from workflows.builders import plan_replace
from workflows.concurrency import Concurrency
from workflows.disks import plan_disk_replacement
from workflows.engine import processor_of, worker_app
from workflows.plan import MaintenancePlan
from workflows.submission import enqueue, start

#: When the gate first looked, in the tests that say how long a step waited.
GATE_SINCE = datetime(2027, 1, 15, 6, 0, tzinfo=UTC)


def lab_fields(redis_url: str, tmp_path: Path) -> dict[str, Any]:
    """The settings of a test's pages and maintenances: the session's Redis for state and
    broker, the audit trail in tmp_path."""
    return {"redis_url": redis_url, "broker_url": redis_url,
            "audit_url": f"sqlite:///{tmp_path / 'audit.sqlite'}"}


@dataclass
class FleetLab:
    """A cluster of the test's own, its Celery app, ledger and audit trail."""

    cluster: Cluster
    inventory: Inventory
    app: Celery
    ledger: RedisLedger
    audit: SqlAuditStore

    @classmethod
    def make(cls, redis_url: str, tmp_path: Path) -> FleetLab:
        """A lab on redis_url; its trail in tmp_path."""
        name = f"web-{uuid.uuid4().hex[:8]}"
        inventory = parse_inventory(INVENTORY.replace("name: lab", f"name: {name}", 1), env={})
        settings = Settings(**lab_fields(redis_url, tmp_path))
        return cls(inventory.cluster(name), inventory, worker_app(settings, name=name),
                   RedisLedger.from_url(redis_url),
                   SqlAuditStore.from_url(settings.audit_location))

    @property
    def maintenances(self) -> Maintenances:
        """The lab's maintenances, as the pages read them."""
        return Maintenances(self.app, lambda: self.inventory, self.audit)

    def replace_plan(self, host: str = "node2", new: str = "node3") -> MaintenancePlan:
        """Replace host by new: a technician step that expects no serials."""
        return plan_replace(host, new, cluster=self.cluster, state=healthy_state(),
                            check_domains=lambda *_: [])

    def disk_plan(self) -> MaintenancePlan:
        """Replace osd.5's disk (/dev/sdc of node2): its technician step expects a serial."""
        return plan_disk_replacement(5, cluster=self.cluster, state=healthy_state())

    def start(self, plan: MaintenancePlan) -> WorkflowHandle:
        """Start a plan (lease, record, guardian, workflow), as `cephmaint run` does."""
        return start(plan.to_dict(), self.app,
                     concurrency=Concurrency(limit=4, check=lambda hosts: []))

    def enqueue(self, plan: MaintenancePlan) -> int:
        """Queue a plan behind the cluster's lease, as `cephmaint run --queue` does."""
        return enqueue(plan, self.app)

    def run_until(self, handle: WorkflowHandle, step: str) -> None:
        """Play the worker: each step before `step` starts and succeeds; `step` starts."""
        engine = processor_of(self.app).engine
        store = engine.store
        for _ in range(200):
            if handle.node(step)["state"] == NodeState.RUNNING:
                return
            active = store.active(handle.id)
            assert active, f"nothing to run before {step}: {handle.status().to_dict()}"
            for running in active:
                tid = task_id(handle.id, running.index, running.attempt)
                engine.on_received(tid)
                if store.definition(handle.id, running.index)["id"] != step:
                    engine.on_success(tid, {})
        raise AssertionError(f"{step} never started")

    def fail(self, handle: WorkflowHandle, step: str, error: Exception) -> None:
        """Play a worker whose run of a started step fails for good."""
        engine = processor_of(self.app).engine
        index = engine.store.index_of(handle.id, step)
        engine.on_failure(task_id(handle.id, index, handle.node(step)["attempt"]), error)

    def gate_looks(self, handle: WorkflowHandle, step: str,
                   reported: dict[str, str | None]) -> dict[str, Any]:
        """Play the technician gate's look at the confirmation in the ledger, the host
        reporting these serials by device; the progress it notes."""
        plan = self.ledger.recall(handle.id, "plan")
        assert isinstance(plan, dict)
        kwargs = next(s["kwargs"] for s in plan["steps"] if s["id"] == step)
        host, expected = kwargs["host"], int(kwargs.get("expect_serials") or 0)
        paths = tuple(kwargs.get("device_paths") or ())
        raw = self.ledger.recall(handle.id, confirmation_key(host))
        confirmation = None if raw is None else Confirmation.from_json(raw)
        old = {d.path: d.serial for d in self.cluster.host(host).devices if d.path in paths}
        problems = () if confirmation is None else check_evidence(
            confirmation.serials, expected=expected, device_paths=paths, reported=reported,
            old=old)
        verdict = assess_gate(reference=handle.id, expected=expected,
                              confirmation=confirmation, ticket=None, problems=problems)
        progress = {"cluster": self.cluster.name, "host": host, "reference": handle.id,
                    "waiting_for": verdict.waiting_for, "since": GATE_SINCE.isoformat(),
                    "rejected": verdict.rejected, "ticket_trouble": None}
        node = handle.node(step)
        index = processor_of(self.app).engine.store.index_of(handle.id, step)
        self.ledger.note(handle.id, progress_key(task_id(handle.id, index, node["attempt"])),
                         progress)
        return progress

    def trail(self, reference: str) -> list[Record]:
        """The audit entries of a maintenance, oldest first."""
        return self.audit.records(Query(reference=reference))
