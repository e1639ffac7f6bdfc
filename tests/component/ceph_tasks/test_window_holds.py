"""Weight steps and removals wait for the maintenance windows, on a fake cluster and clock.

The sandbox shows one window opening; here the clock is moved at will: a closed window, an
override, a window closing between two steps, a removal that began inside one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.decisions.windows import WINDOW_OVERRIDE_KEY
from ceph_tasks.errors import DeadlineExceeded
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.base import window_waited_key
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.removal import remove_node
from ceph_tasks.tasks.reweight import reweight
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Inventory, MaintenanceWindow, Weekday
from tests.component.ceph_tasks import test_data_movement_tasks as movement
from tests.component.ceph_tasks import test_node_tasks as removal

REF = "maint-window"
#: Monday 22:00-23:00 in Paris (UTC+1 in winter): 21:00-22:00 UTC.
WINDOW = MaintenanceWindow(days=frozenset({Weekday.MON}), start=time(22), end=time(23),
                           timezone="Europe/Paris")
MONDAY_UTC = datetime(2026, 11, 30, tzinfo=UTC)


def windowed(inventory: Inventory, **fields: object) -> Inventory:
    cluster = inventory.clusters[0].model_copy(update=fields)
    return inventory.model_copy(update={"clusters": (cluster,)})


class Clock:
    def __init__(self, hour: float) -> None:
        self.now = MONDAY_UTC + timedelta(hours=hour)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(hour=19)  # 20:00 in Paris: the window opens in two hours


@pytest.fixture
def cluster() -> movement.FakeCluster:
    return movement.FakeCluster()


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture
def context(cluster: movement.FakeCluster, clock: Clock, ledger: MemoryLedger,
            task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=windowed(movement.inventory(), maintenance_windows=(WINDOW,)),
                      ledger=ledger, executor=FakeExecutor(),
                      ceph_factory=lambda _: cluster.client, now=clock)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def drain() -> None:
    reweight(cluster="c1", reference=REF, host="node2", target=0, step=0.25, timeout=600)


def test_no_weight_step_before_the_window_opens_and_the_next_look_is_at_the_opening(
        context: TaskContext, cluster: movement.FakeCluster, clock: Clock) -> None:
    with pytest.raises(Retry):
        drain()
    assert cluster.reweights() == []

    clock.now = MONDAY_UTC + timedelta(hours=21, seconds=-10)
    with pytest.raises(Retry):
        drain()
    assert cluster.reweights() == []

    clock.now = MONDAY_UTC + timedelta(hours=21)
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == cluster.weight(5) == 0.75


def test_time_waiting_for_the_window_does_not_count_against_the_step_deadline(
        context: TaskContext, cluster: movement.FakeCluster, clock: Clock,
        ledger: MemoryLedger) -> None:
    with pytest.raises(Retry):
        drain()
    clock.now = MONDAY_UTC + timedelta(hours=21, minutes=1)
    with pytest.raises(Retry):
        drain()  # two hours after the first run, past the 600 s deadline, but it waited
    assert ledger.recall(REF, window_waited_key("None")) == 7260.0
    assert cluster.weight(4) == 0.75

    clock.now += timedelta(seconds=600)
    with pytest.raises(DeadlineExceeded):
        drain()


def test_a_step_under_way_when_the_window_closes_is_made_and_the_next_one_waits(
        context: TaskContext, cluster: movement.FakeCluster, clock: Clock) -> None:
    clock.now = MONDAY_UTC + timedelta(hours=21, minutes=59)
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.75
    clock.now = MONDAY_UTC + timedelta(hours=22)
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.75  # the next step waits for next Monday


def test_an_override_recorded_at_submit_lets_the_steps_run_outside_the_window(
        context: TaskContext, cluster: movement.FakeCluster, ledger: MemoryLedger) -> None:
    ledger.remember(REF, WINDOW_OVERRIDE_KEY, {"reason": "disk failing, data at risk"})
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.75


def test_a_datacenter_window_also_applies_to_its_hosts(
        context: TaskContext, cluster: movement.FakeCluster, clock: Clock) -> None:
    tuesday = MaintenanceWindow(days=frozenset({Weekday.TUE}), start=time(0), end=time(23))
    context.inventory = windowed(movement.inventory(), datacenter_windows={"DC1": (tuesday,)})
    clock.now = MONDAY_UTC + timedelta(hours=21)
    with pytest.raises(Retry):
        drain()
    assert cluster.reweights() == []
    clock.now = MONDAY_UTC + timedelta(days=1, hours=1)
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.75


@pytest.fixture
def nodes() -> removal.FakeNodes:
    return removal.FakeNodes()


def test_a_removal_starts_only_inside_the_window_and_once_begun_it_finishes(
        nodes: removal.FakeNodes, clock: Clock, task_app: Celery) -> None:
    executor = FakeExecutor()
    executor.reply_with(nodes.on_host)
    ctx = TaskContext(inventory=windowed(removal.inventory(), maintenance_windows=(WINDOW,)),
                      ledger=MemoryLedger(), executor=executor,
                      ceph_factory=lambda _: nodes.client, now=clock)
    install_context(task_app, ctx)
    try:
        with pytest.raises(Retry):
            remove_node(cluster="c1", host="node2", reference=REF)
        assert nodes.writes() == [] and executor.commands_on("node2") == []

        clock.now = MONDAY_UTC + timedelta(hours=21, minutes=59)
        nodes.stop_marks_down = False
        with pytest.raises(Retry):
            remove_node(cluster="c1", host="node2", reference=REF)
        assert len(executor.commands_on("node2")) == 2  # daemons stopped inside the window

        clock.now = MONDAY_UTC + timedelta(hours=23)  # 00:00 in Paris: closed: the removal goes on
        nodes.stop_marks_down = True
        done = remove_node(cluster="c1", host="node2", reference=REF)
        assert done["purged"] == [4, 5]
    finally:
        install_context(task_app, None)
