"""Plans apply the throttles' recovery settings before data moves, and only when asked."""

from __future__ import annotations

from dataclasses import replace

from ceph_tasks.ceph.models.config_db import ConfigEntry
from ceph_tasks.decisions.recovery_settings import RecoveryView
from ceph_tasks.decisions.restoration import Kind
from ceph_tasks.decisions.upmaps import UpmapReadiness
from ceph_tasks.names import TaskName
from inventory import Cluster
from tests.unit.workflows.test_step_contract import no_problems, with_recovery
from workflows.builders import plan_add, plan_decommission, plan_replace
from workflows.plan import MaintenancePlan, setup_to_redo
from workflows.state import ClusterState

MIXED = RecoveryView({0: "wpq", 1: "wpq", 2: "wpq", 3: "wpq", 4: "mclock_scheduler",
                      5: "mclock_scheduler"},
                     (ConfigEntry(section="osd", name="osd_recovery_sleep", value="0.5"),))
MOVING = (TaskName.REWEIGHT, TaskName.MOVE_OFF, TaskName.PIN_PLACEMENT,
          TaskName.RELEASE_PINS)


def tasks(plan: MaintenancePlan) -> list[TaskName]:
    return [s.task for s in plan.steps]


def test_no_recovery_section_no_step_and_no_words(cluster: Cluster,
                                                  healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy,
                             check_domains=no_problems)
    assert TaskName.APPLY_RECOVERY_SETTINGS not in tasks(plan)
    assert plan.recovery is None and "recovery:" not in plan.render()
    hands_on = plan_replace("node2", cluster=cluster, state=healthy,
                            check_domains=no_problems)
    restores = [s.kwargs["kinds"] for s in hands_on.steps if s.task == TaskName.RESTORE]
    assert ["flags", "movers"] in restores


def test_a_drain_gets_the_settings_before_its_first_weight_step(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=with_recovery(cluster), state=healthy,
                             check_domains=no_problems)
    order = tasks(plan)
    assert order.index(TaskName.APPLY_RECOVERY_SETTINGS) < order.index(TaskName.REWEIGHT)


def test_every_data_move_of_a_replace_comes_after_the_settings(
        cluster: Cluster, healthy: ClusterState) -> None:
    asked = with_recovery(cluster)
    for state in (healthy, replace(healthy, upmap_readiness=UpmapReadiness("luminous", ()))):
        plan = plan_replace("node2", "node3", cluster=asked, state=state,
                            check_domains=no_problems)
        order = tasks(plan)
        applied = order.index(TaskName.APPLY_RECOVERY_SETTINGS)
        assert all(i > applied for i, t in enumerate(order) if t in MOVING)
    add = plan_add("node3", cluster=asked, state=healthy)
    assert tasks(add).index(TaskName.APPLY_RECOVERY_SETTINGS) < tasks(add).index(
        TaskName.REWEIGHT)


def test_a_technicians_wait_puts_the_settings_back_and_they_come_again_after(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_replace("node2", cluster=with_recovery(cluster), state=healthy,
                        check_domains=no_problems)
    restores = [s.kwargs["kinds"] for s in plan.steps if s.task == TaskName.RESTORE]
    assert [str(Kind.FLAGS), str(Kind.MOVERS), str(Kind.RECOVERY)] in restores
    # Before the first move, after the wait, and once the new OSDs exist: they get them too.
    assert tasks(plan).count(TaskName.APPLY_RECOVERY_SETTINGS) == 3
    added = next(i for i, s in enumerate(plan.steps) if s.task == TaskName.ADD_NODE)
    assert plan.steps[added + 1].task == TaskName.APPLY_RECOVERY_SETTINGS
    assert plan.steps[added + 1].after == (plan.steps[added].id,)
    # A drain failed and its finalisers ran: a retry sets the settings again.
    steps = [s.to_dict() for s in plan.steps]
    drained = next(i for i, s in enumerate(plan.steps) if s.task == TaskName.REWEIGHT)
    done = {s.id for s in plan.steps[:drained]}
    redone = [s["task"] for s in setup_to_redo(steps, done.__contains__)]
    assert str(TaskName.APPLY_RECOVERY_SETTINGS) in redone


def test_the_plan_says_which_mechanism_applies_to_which_osds(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=with_recovery(cluster),
                             state=replace(healthy, recovery=MIXED), check_domains=no_problems)
    text = plan.render()
    assert "recovery: at most" in text and "(max_backfilling_pgs)" in text
    assert ("recovery: osd.0-3 (wpq): osd_max_backfills 1, osd_recovery_max_active 1; the "
            "operator's kept: osd_recovery_sleep 0.5 (osd)") in text
    assert ("recovery: osd.4-5 (mclock): profile high_client_ops, override + "
            "osd_max_backfills 1") in text


def test_without_the_schedulers_read_the_plan_says_what_is_asked(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=with_recovery(cluster), state=healthy,
                             check_domains=no_problems)
    assert plan.recovery is not None
    assert plan.recovery[1].startswith("backfills_per_osd 1, pace gentle (the OSDs' "
                                       "schedulers not read")
