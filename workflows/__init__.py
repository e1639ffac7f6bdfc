"""Maintenance workflows: plans composed of ceph_tasks steps, run by dyrygent.

From a runbook script:

    from workflows import build_replace_workflow, submit
    plan = build_replace_workflow("node2", new_host="node3")  # reads inventory and cluster
    print(plan.render())
    handle = submit(plan)

Planning is pure (workflows.builders, workflows.host_work, workflows.fleet,
workflows.planning: inventory and a snapshot of the cluster in, a plan out);
workflows.snapshot reads the snapshot, workflows.submission hands a plan to the engine,
workflows.api puts the three together.
"""

from workflows.api import (
    build_add_workflow,
    build_decommission_workflow,
    build_disk_replace_workflow,
    build_fleet_workflow,
    build_maintenance_workflow,
    build_replace_workflow,
    submit,
)
from workflows.builders import Timing
from workflows.errors import PlanRefused, WorkflowsError
from workflows.fleet import FleetAction
from workflows.host_work import Work
from workflows.plan import MaintenancePlan

__all__ = [
    "FleetAction",
    "MaintenancePlan",
    "PlanRefused",
    "Timing",
    "Work",
    "WorkflowsError",
    "build_add_workflow",
    "build_decommission_workflow",
    "build_disk_replace_workflow",
    "build_fleet_workflow",
    "build_maintenance_workflow",
    "build_replace_workflow",
    "submit",
]
