"""The Python entry point for runbook scripts: plans read from the inventory and the cluster.

    plan = build_replace_workflow("node2", new_host="node3")
    print(plan.render())
    handle = submit(plan)

Settings are read from the environment (CEPHMAINT_*) when none are given: this module is
an edge, like the command line. The pure builders are in workflows.builders.
"""

from __future__ import annotations

from typing import Any

from ceph_tasks.settings import Settings
from dyrygent.handle import WorkflowHandle
from inventory import Cluster
from workflows import submission
from workflows.engine import worker_app
from workflows.fleet import FleetAction, hosts_osds, plan_fleet
from workflows.host_work import Work
from workflows.plan import MaintenancePlan
from workflows.planning import (
    MOVING_DATA,
    Kind,
    drained_by,
    plan_maintenance,
    stopped_by,
    target_cluster,
)
from workflows.snapshot import read_cluster_state
from workflows.state import ClusterState


def build_decommission_workflow(host: str, *, settings: Settings | None = None,
                                cluster: Cluster | None = None,
                                state: ClusterState | None = None,
                                **options: Any) -> MaintenancePlan:
    """Plan retiring a host; inventory and state are read when not given."""
    return _planned(Kind.DECOMMISSION, host, settings, cluster, state, **options)


def build_replace_workflow(host: str, new_host: str | None = None, *,
                           settings: Settings | None = None, cluster: Cluster | None = None,
                           state: ClusterState | None = None,
                           **options: Any) -> MaintenancePlan:
    """Plan replacing a host (by new_host, or in place); inventory and state read if not given."""
    return _planned(Kind.REPLACE, host, settings, cluster, state, new_host=new_host,
                    **options)


def build_add_workflow(host: str, *, settings: Settings | None = None,
                       cluster: Cluster | None = None, state: ClusterState | None = None,
                       **options: Any) -> MaintenancePlan:
    """Plan adding a host; inventory and state are read when not given."""
    return _planned(Kind.ADD, host, settings, cluster, state, **options)


def build_disk_replace_workflow(osd_id: int, *, settings: Settings | None = None,
                                cluster: Cluster | None = None,
                                state: ClusterState | None = None,
                                **options: Any) -> MaintenancePlan:
    """Plan a disk replacement keeping the OSD id; inventory and state read when not given."""
    return _planned(Kind.DISK, str(osd_id), settings, cluster, state, **options)


def build_maintenance_workflow(host: str, *, reason: str, work: Work = Work.REBOOT,
                               command: list[str] | None = None,
                               settings: Settings | None = None, cluster: Cluster | None = None,
                               state: ClusterState | None = None,
                               **options: Any) -> MaintenancePlan:
    """Plan work on a host without moving its data; inventory and state read if not given."""
    return _planned(Kind.MAINTENANCE, host, settings, cluster, state, reason=reason,
                    work=work, command=command, **options)


def build_fleet_workflow(hosts: list[str], action: FleetAction, *,
                         settings: Settings | None = None, cluster: Cluster | None = None,
                         state: ClusterState | None = None, **options: Any) -> MaintenancePlan:
    """Plan retiring or replacing many hosts in batches; inventory and state read if not given."""
    if cluster is None:
        inventory = (settings or Settings.from_env()).inventory()
        cluster = target_cluster(Kind.DECOMMISSION, hosts[0] if hosts else "", inventory)
    if state is None:
        # A retire moves every host's data for good: its capacity is projected at plan time.
        drained = (lambda s: hosts_osds(s, hosts)) if action == FleetAction.RETIRE else None
        state = read_cluster_state(cluster, drained=drained)
    return plan_fleet(hosts, action, cluster=cluster, state=state, **options)


def submit(plan: MaintenancePlan, *, settings: Settings | None = None,
           deadline: float | None = None) -> WorkflowHandle:
    """Start a plan's workflow with its guardian; the engine's handle to follow it."""
    app = worker_app(settings or Settings.from_env(), name="cephmaint-client")
    return submission.submit(plan, app, deadline=deadline)


def _planned(kind: Kind, target: str, settings: Settings | None, cluster: Cluster | None,
             state: ClusterState | None, **options: Any) -> MaintenancePlan:
    if cluster is None:
        cluster = target_cluster(kind, target, (settings or Settings.from_env()).inventory())
    if state is None:
        state = read_cluster_state(cluster, drained=drained_by(kind, target),
                                   stopped=stopped_by(kind, target),
                                   upmaps=kind in MOVING_DATA)
    return plan_maintenance(kind, target, cluster=cluster, state=state, **options)
