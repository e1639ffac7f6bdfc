"""Every step of every workflow kind fits the signature of the task that will run it.

A plan names its tasks through ceph_tasks.names and passes keyword arguments; a name
or an argument that does not fit its task would only fail on a worker, hours into a
maintenance. Here each step's arguments are bound against the task body's signature.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import replace

import pytest
from pydantic import SecretStr

from ceph_tasks.decisions.upmaps import UpmapReadiness
from ceph_tasks.names import TASK_MODULES, TaskName
from inventory import (
    Cluster,
    FailurePolicy,
    NotificationTargets,
    RecoveryPace,
    RecoverySettings,
    TicketTarget,
)
from tests.unit.workflows.test_daemon_hosts import with_daemons
from tests.unit.workflows.test_db_device import with_shared_db
from tests.unit.workflows.test_failed_disk import with_osd_down
from workflows.builders import plan_add, plan_decommission, plan_replace
from workflows.disks import plan_db_device_replacement, plan_disk_replacement
from workflows.failed_host import plan_failed_host
from workflows.fleet import FleetAction, plan_fleet
from workflows.guardian import GUARDIAN_TASK
from workflows.host_work import Work, plan_host_maintenance, plan_rolling_maintenance
from workflows.move_once import Strategy
from workflows.plan import MaintenancePlan, Step
from workflows.state import ClusterState


def task_bodies() -> dict[str, Callable[..., object]]:
    """The function behind each registered task name (the task modules, imported)."""
    bodies: dict[str, Callable[..., object]] = {}
    for module in map(importlib.import_module, TASK_MODULES):
        for value in vars(module).values():
            name = getattr(value, "name", None)
            run = getattr(value, "run", None)
            if isinstance(name, str) and name.startswith("cephmaint.") and callable(run):
                bodies[name] = run
    return bodies


BODIES = task_bodies()


def no_problems(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    return []


def with_locate(cluster: Cluster) -> Cluster:
    """The cluster with identify-LED commands in its failure policy, and a ticket system."""
    return cluster.model_copy(update={"failures": FailurePolicy(
        locate_on=("ledctl", "locate={device}"), locate_off=("ledctl", "locate_off={device}")),
        "notifications": NotificationTargets(ticket=TicketTarget(
            url="https://jira.example.org", project="OPS", token=SecretStr("t")))})


def with_recovery(cluster: Cluster) -> Cluster:
    """The cluster whose throttles ask for per-OSD recovery settings."""
    throttles = cluster.throttles.model_copy(update={"recovery": RecoverySettings(
        backfills_per_osd=1, pace=RecoveryPace.GENTLE)})
    return cluster.model_copy(update={"throttles": throttles})


KINDS: dict[str, Callable[[Cluster, ClusterState], MaintenancePlan]] = {
    "decommission with recovery settings": lambda c, s: plan_decommission(
        "node2", cluster=with_recovery(c), state=s, check_domains=no_problems),
    "replace with recovery settings": lambda c, s: plan_replace(
        "node2", "node3", cluster=with_recovery(c), state=s, check_domains=no_problems),
    "decommission": lambda c, s: plan_decommission("node2", cluster=c, state=s,
                                                   check_domains=no_problems),
    "decommission moving each copy once": lambda c, s: plan_decommission(
        "node2", cluster=c, state=replace(s, upmap_readiness=UpmapReadiness("luminous", ())),
        check_domains=no_problems),
    "replace in place": lambda c, s: plan_replace("node2", cluster=c, state=s,
                                                  check_domains=no_problems),
    "replace by new hardware": lambda c, s: plan_replace("node2", "node3", cluster=c, state=s,
                                                         check_domains=no_problems),
    "replace moving each copy once": lambda c, s: plan_replace(
        "node2", "node3", cluster=c, state=replace(s, upmap_readiness=UpmapReadiness(
            "luminous", ())), check_domains=no_problems),
    "add": lambda c, s: plan_add("node3", cluster=c, state=s),
    "add pinned, pins released": lambda c, s: plan_add(
        "node3", cluster=c, state=replace(s, upmap_readiness=UpmapReadiness("luminous", ())),
        strategy=Strategy.MOVE_ONCE),
    "disk": lambda c, s: plan_disk_replacement(5, cluster=c, state=s),
    "failed disk": lambda c, s: plan_disk_replacement(5, cluster=c, state=with_osd_down(s, 5),
                                                      failed=True),
    "failed disk located, on a proposal's ticket": lambda c, s: plan_disk_replacement(
        5, cluster=with_locate(c), state=with_osd_down(s, 5), failed=True, ticket="OPS-7"),
    "DB device": lambda c, s: plan_db_device_replacement(
        "node2", "/dev/sdd", cluster=with_shared_db(c), state=s),
    "failed DB device": lambda c, s: plan_db_device_replacement(
        "node2", "/dev/sdd", cluster=with_shared_db(c),
        state=with_osd_down(with_osd_down(s, 4), 5), failed=True),
    "decommission of a monitor's host": lambda c, s: plan_decommission(
        "node1", cluster=c.model_copy(update={"min_monitors": 2}), state=with_daemons(s),
        check_domains=no_problems),
    "failed host": lambda c, s: plan_failed_host(
        "node2", cluster=c, state=with_osd_down(with_osd_down(s, 4), 5)),
    "fleet retire": lambda c, s: plan_fleet(["node1", "node2"], FleetAction.RETIRE,
                                            cluster=c, state=s, check_domains=no_problems),
    "fleet replace": lambda c, s: plan_fleet(["node1", "node2"], FleetAction.REPLACE,
                                             cluster=c, state=s, check_domains=no_problems),
    "maintenance with a reboot": lambda c, s: plan_host_maintenance(
        "node2", cluster=c, state=s, reason="kernel", work=Work.REBOOT),
    "maintenance with a command": lambda c, s: plan_host_maintenance(
        "node2", cluster=c, state=s, reason="firmware", work=Work.COMMAND,
        command=["fwupdmgr", "update", "-y"]),
    "maintenance by technicians": lambda c, s: plan_host_maintenance(
        "node2", cluster=c, state=s, reason="DIMM", work=Work.TECHNICIAN),
    "rolling maintenance": lambda c, s: plan_rolling_maintenance(
        ["node0", "node1", "node2"], cluster=c, state=s, reason="kernel", work=Work.REBOOT),
}


def bind(step: Step) -> None:
    """Bind a step's arguments to its task's signature; TypeError names what does not fit."""
    body = BODIES[step.task]
    try:
        inspect.signature(body).bind(**step.kwargs)
    except TypeError as e:
        raise TypeError(f"step {step.id} does not fit task {step.task}: {e}") from e


def test_every_task_name_has_a_registered_task() -> None:
    assert set(BODIES) == {str(name) for name in TaskName}
    assert GUARDIAN_TASK not in BODIES  # the guardian is the workflows' own task


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_step_and_finaliser_binds_to_its_task(
        kind: str, cluster: Cluster, healthy: ClusterState) -> None:
    plan = KINDS[kind](cluster, healthy)
    steps = [*plan.steps, *plan.finalisers]
    assert steps
    for step in steps:
        assert isinstance(step.task, TaskName)
        bind(step)


def test_a_step_whose_argument_is_renamed_does_not_bind(
        cluster: Cluster, healthy: ClusterState) -> None:
    step = KINDS["decommission"](cluster, healthy).steps[-1]
    renamed = dict(step.kwargs)
    renamed["ref"] = renamed.pop("reference")
    with pytest.raises(TypeError, match=r"does not fit task cephmaint\.restore"):
        bind(Step(step.id, step.title, step.task, renamed, step.phase))
