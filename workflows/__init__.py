"""Builders that compose ceph_tasks into dyrygent workflows, with a plan to read first.

`build_replace_workflow("node2")` reads the inventory (CEPHMAINT_INVENTORY) and the
cluster's state, and returns a MaintenancePlan: `print(plan.render())`, then
`plan.apply_async()` for the engine's handle. The pure builders, which take the inventory
cluster and the state as arguments, are in workflows.builders and workflows.fleet.
"""

from workflows.builders import Timing
from workflows.errors import PlanRefused, WorkflowsError
from workflows.fleet import FleetAction, build_fleet_workflow
from workflows.live import (
    build_add_workflow,
    build_decommission_workflow,
    build_disk_replace_workflow,
    build_replace_workflow,
    check_domains,
    read_cluster_state,
)
from workflows.plan import MaintenancePlan

__all__ = [
    "FleetAction",
    "MaintenancePlan",
    "PlanRefused",
    "Timing",
    "WorkflowsError",
    "build_add_workflow",
    "build_decommission_workflow",
    "build_disk_replace_workflow",
    "build_fleet_workflow",
    "build_replace_workflow",
    "check_domains",
    "read_cluster_state",
]
