"""Builders with their inputs fetched: the inventory from the settings, the state from Ceph.

The builders themselves stay pure; this module reads what they need once, then builds.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Any

from celery import Celery

from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.guards import removal_problems
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from dyrygent.handle import WorkflowHandle
from inventory import Cluster, Inventory, load_inventory
from workflows import builders
from workflows.errors import WorkflowsError
from workflows.plan import MaintenancePlan
from workflows.state import ClusterState, read_state


class Kind(StrEnum):
    """The maintenances the CLI and runbook scripts can plan."""

    DECOMMISSION = "decommission"
    REPLACE = "replace"
    ADD = "add"


def load_settings_inventory(settings: Settings) -> Inventory:
    """The inventory the settings point at (CEPHMAINT_INVENTORY)."""
    if settings.inventory_path is None:
        raise WorkflowsError("no inventory: set CEPHMAINT_INVENTORY or pass --inventory")
    return load_inventory(settings.inventory_path)


def cluster_of(inventory: Inventory, host: str, name: str | None = None) -> Cluster:
    """The cluster a host belongs to (or the named one)."""
    if name is not None:
        return inventory.cluster(name)
    owners = [c for c in inventory.clusters if any(h.name == host for h in c.hosts)]
    if len(owners) != 1:
        found = ", ".join(c.name for c in owners) or "no cluster"
        raise WorkflowsError(f"host {host} is in {found}: name the cluster with --cluster")
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
    """Build the plan of one maintenance, reading the cluster's state unless given."""
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

    celery_app = app or default_app
    settings = celery_app.conf.get("cephmaint_settings") or Settings.from_env(os.environ)
    RedisLedger.from_url(settings.redis_url).remember(plan.reference, "plan", plan.to_dict())
    return plan.apply_async(celery_app, deadline=deadline)
