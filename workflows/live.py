"""Builders with their inputs fetched: the inventory from the settings, the state from Ceph.

The builders themselves stay pure; this module reads what they need once, then builds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from celery import Celery

from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.decisions.preconditions import removal_problems
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from dyrygent.handle import WorkflowHandle
from inventory import Cluster, Inventory, load_inventory
from workflows import builders
from workflows.errors import WorkflowsError
from workflows.guardian import generation_key, start_guardian
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState, read_state

#: Seconds a setup step re-run by an operator's retry may take.
SETUP_TIMEOUT = 300.0


class Kind(StrEnum):
    """The maintenances the CLI and runbook scripts can plan."""

    DECOMMISSION = "decommission"
    REPLACE = "replace"
    ADD = "add"
    DISK = "disk"


def load_settings_inventory(settings: Settings) -> Inventory:
    """The inventory the settings point at (CEPHMAINT_INVENTORY)."""
    if settings.inventory_path is None:
        raise WorkflowsError("no inventory: set CEPHMAINT_INVENTORY or pass --inventory")
    return load_inventory(settings.inventory_path)


def cluster_of(inventory: Inventory, host: str, name: str | None = None) -> Cluster:
    """The cluster a host belongs to (or the named one)."""
    return _owner(inventory, name, f"host {host}",
                  lambda c: any(h.name == host for h in c.hosts))


def osd_number(text: str) -> int:
    """The id of "osd.5" or "5"."""
    digits = text.removeprefix("osd.")
    if not digits.isdigit():
        raise WorkflowsError(f"{text!r} is not an OSD (write osd.5 or 5)")
    return int(digits)


def osd_cluster(inventory: Inventory, osd_id: int, name: str | None = None) -> Cluster:
    """The cluster an OSD belongs to (or the named one)."""
    return _owner(inventory, name, f"osd.{osd_id}",
                  lambda c: any(o.id == osd_id for o in c.osds))


def _owner(inventory: Inventory, name: str | None, what: str,
           holds: Callable[[Cluster], bool]) -> Cluster:
    if name is not None:
        return inventory.cluster(name)
    owners = [c for c in inventory.clusters if holds(c)]
    if len(owners) != 1:
        found = ", ".join(c.name for c in owners) or "no cluster"
        raise WorkflowsError(f"{what} is in {found}: name the cluster with --cluster")
    return owners[0]


def read_cluster_state(cluster: Cluster) -> ClusterState:
    """Connect to a cluster, read its state once, disconnect."""
    client = RadosClient.for_cluster(cluster)
    try:
        return read_state(Ceph(client))
    finally:
        client.close()


def check_domains(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    """Plan-time failure-domain check: what pools would lack without these hosts."""
    return removal_problems(state.tree, state.pools, state.rules, hosts)


def plan_maintenance(kind: Kind, host: str, *, inventory: Inventory,
                     cluster_name: str | None = None, new_host: str | None = None,
                     state: ClusterState | None = None, **options: Any) -> MaintenancePlan:
    """Build the plan of one maintenance, reading the cluster's state unless given.

    For a disk replacement, host names the OSD: "osd.5" or "5".
    """
    if kind == Kind.DISK:
        osd_id = osd_number(host)
        cluster = osd_cluster(inventory, osd_id, cluster_name)
        state = state if state is not None else read_cluster_state(cluster)
        return builders.build_disk_replace_workflow(osd_id, cluster=cluster, state=state,
                                                    **options)
    cluster = cluster_of(inventory, host, cluster_name)
    state = state if state is not None else read_cluster_state(cluster)
    if kind == Kind.DECOMMISSION:
        return builders.build_decommission_workflow(
            host, cluster=cluster, state=state, check_domains=check_domains, **options)
    if kind == Kind.REPLACE:
        return builders.build_replace_workflow(
            host, new_host, cluster=cluster, state=state, check_domains=check_domains,
            **options)
    return builders.build_add_workflow(host, cluster=cluster, state=state, **options)


def submit(plan: MaintenancePlan, app: Celery | None = None,
           deadline: float | None = None) -> WorkflowHandle:
    """Record the plan (for status) and start its workflow; return the engine's handle."""
    from workflows.app import app as default_app
    from workflows.app import processor_of

    celery_app = app or default_app
    settings = celery_app.conf.get("cephmaint_settings") or Settings.from_env(os.environ)
    ledger = RedisLedger.from_url(settings.redis_url)
    ledger.remember(plan.reference, "plan", plan.to_dict())
    handle = plan.workflow(celery_app, deadline=deadline).apply_async(processor_of(celery_app))
    start_guardian(celery_app, ledger, plan.reference, generation=1)
    return handle


def retry(handle: WorkflowHandle, app: Celery | None = None) -> list[str]:
    """Retry a failed maintenance: redo the setup its finalisers undid, then go on.

    The setup steps that had succeeded (flags, downtimes) run again first, on the workers:
    a failed workflow's finalisers restored them, and the steps left to run expect them.
    Returns the ids of the setup steps that ran again.
    """
    from workflows.app import app as default_app

    celery_app = app or default_app
    settings = celery_app.conf.get("cephmaint_settings") or Settings.from_env(os.environ)
    ledger = RedisLedger.from_url(settings.redis_url)
    plan = ledger.recall(handle.id, "plan") or {}
    redone = []
    for step in plan.get("steps", []):
        if step["phase"] == str(Phase.PREPARE) and handle.node(step["id"])["state"] == "SUCCESS":
            celery_app.send_task(step["task"], kwargs=step["kwargs"]).get(
                timeout=SETUP_TIMEOUT, propagate=True)
            redone.append(step["id"])
    generation = int(ledger.recall(handle.id, generation_key()) or 1) + 1
    handle.retry()
    start_guardian(celery_app, ledger, handle.id, generation)
    return redone


def _fetched(host: str, cluster: Cluster | None, state: ClusterState | None
             ) -> tuple[Cluster, ClusterState]:
    if cluster is None:
        cluster = cluster_of(load_settings_inventory(Settings.from_env(os.environ)), host)
    return cluster, state if state is not None else read_cluster_state(cluster)


def build_decommission_workflow(host: str, *, cluster: Cluster | None = None,
                                state: ClusterState | None = None,
                                **options: Any) -> MaintenancePlan:
    """Plan a decommission; inventory and state are read when not given."""
    cluster, state = _fetched(host, cluster, state)
    return builders.build_decommission_workflow(
        host, cluster=cluster, state=state, check_domains=check_domains, **options)


def build_replace_workflow(host: str, new_host: str | None = None, *,
                           cluster: Cluster | None = None, state: ClusterState | None = None,
                           **options: Any) -> MaintenancePlan:
    """Plan a replacement; inventory and state are read when not given."""
    cluster, state = _fetched(host, cluster, state)
    return builders.build_replace_workflow(
        host, new_host, cluster=cluster, state=state, check_domains=check_domains, **options)


def build_add_workflow(host: str, *, cluster: Cluster | None = None,
                       state: ClusterState | None = None, **options: Any) -> MaintenancePlan:
    """Plan adding a host; inventory and state are read when not given."""
    cluster, state = _fetched(host, cluster, state)
    return builders.build_add_workflow(host, cluster=cluster, state=state, **options)


def build_disk_replace_workflow(osd_id: int, *, cluster: Cluster | None = None,
                                state: ClusterState | None = None,
                                **options: Any) -> MaintenancePlan:
    """Plan a disk replacement keeping the OSD id; inventory and state read when not given."""
    if cluster is None:
        inventory = load_settings_inventory(Settings.from_env(os.environ))
        cluster = osd_cluster(inventory, osd_id)
    state = state if state is not None else read_cluster_state(cluster)
    return builders.build_disk_replace_workflow(osd_id, cluster=cluster, state=state,
                                                **options)
