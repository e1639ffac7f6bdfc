"""Per-OSD recovery settings applied and put back on a fake cluster of wpq and mClock OSDs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.recovery_settings import setting_key
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.osd_recovery import REPORT_GRACE, apply_recovery_settings
from ceph_tasks.tasks.restore import restore
from ceph_tasks.testing.fake_config import FakeConfigDatabase
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Inventory
from tests.component.ceph_tasks import test_data_movement_tasks as movement

REF = "maint-recovery"
CHANGES = ("config set", "config rm")


def asking(recovery: dict[str, object] | None) -> Inventory:
    data = movement.inventory().model_dump(mode="json")
    data["clusters"][0]["throttles"]["recovery"] = recovery
    return Inventory.model_validate(data)


class Cluster(movement.FakeCluster):
    """The healthy fixtures: osd.0-3 on wpq, osd.4-5 on mClock, a config database."""

    def __init__(self) -> None:
        super().__init__()
        queues = {0: "wpq", 1: "wpq", 2: "wpq", 3: "wpq", 4: "mclock_scheduler",
                  5: "mclock_scheduler"}
        self.config = FakeConfigDatabase(queues).install(self.client)

    def sent(self) -> list[tuple[str, dict[str, object]]]:
        return [(c.prefix, dict(c.args)) for c in self.client.calls if c.prefix in CHANGES]


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


def use(task_app: Celery, cluster: Cluster, ledger: MemoryLedger,
        recovery: dict[str, object] | None) -> None:
    install_context(task_app, TaskContext(inventory=asking(recovery), ledger=ledger,
                                          executor=FakeExecutor(),
                                          ceph_factory=lambda _: cluster.client))


@pytest.fixture
def context(task_app: Celery, cluster: Cluster, ledger: MemoryLedger) -> Iterator[None]:
    use(task_app, cluster, ledger, {"backfills_per_osd": 1, "pace": "gentle"})
    yield
    install_context(task_app, None)


def test_each_osd_gets_its_schedulers_settings_recorded_before_they_are_sent(
        context: None, cluster: Cluster, ledger: MemoryLedger) -> None:
    sending = cluster.client.answers["config set"]
    unrecorded: list[object] = []

    def checked(command: CephCommand) -> object:
        key = setting_key(int(str(command.args["who"]).removeprefix("osd.")),
                          str(command.args["name"]))
        if ledger.recall(REF, key) is None:
            unrecorded.append(command.args)
        assert callable(sending)
        return sending(command)

    cluster.client.answer("config set", checked)
    done = apply_recovery_settings(cluster="c1", reference=REF)
    assert unrecorded == []
    assert cluster.config.value("osd.0", "osd_max_backfills") == "1"
    assert cluster.config.value("osd.0", "osd_recovery_sleep") == "0.1"
    assert cluster.config.value("osd.4", "osd_mclock_profile") == "high_client_ops"
    assert cluster.config.value("osd.4", "osd_mclock_override_recovery_settings") == "true"
    assert cluster.config.value("osd.4", "osd_recovery_max_active") is None
    assert done["groups"] == [
        "osd.0-3 (wpq): osd_max_backfills 1, osd_recovery_max_active 1, "
        "osd_recovery_sleep 0.1",
        "osd.4-5 (mclock): profile high_client_ops, override + osd_max_backfills 1"]
    sets = [args for prefix, args in cluster.sent() if prefix == "config set"]
    assert len(sets) == 4 * 3 + 2 * 3
    for args in sets:
        key = setting_key(int(str(args["who"]).removeprefix("osd.")), str(args["name"]))
        assert ledger.recall(REF, key) == {"before": None, "set": args["value"]}


def test_a_rerun_sends_nothing(context: None, cluster: Cluster) -> None:
    apply_recovery_settings(cluster="c1", reference=REF)
    sent = len(cluster.sent())
    again = apply_recovery_settings(cluster="c1", reference=REF)
    assert again["set"] == [] and again["kept"] == []
    assert len(cluster.sent()) == sent


def test_the_operators_gentler_value_is_kept_untouched_and_the_restore_leaves_it(
        context: None, cluster: Cluster) -> None:
    cluster.config.put("osd", "osd_max_backfills", "1")
    cluster.config.put("osd.1", "osd_recovery_sleep", "0.5")
    done = apply_recovery_settings(cluster="c1", reference=REF)
    assert "osd.1 osd_recovery_sleep 0.5 (osd.1)" in done["kept"]
    assert not any(args["name"] == "osd_max_backfills" for _, args in cluster.sent())
    # Under mClock the operator's limit gets no override from us either.
    assert cluster.config.value("osd.4", "osd_mclock_override_recovery_settings") is None
    restore(cluster="c1", reference=REF)
    assert cluster.config.value("osd", "osd_max_backfills") == "1"
    assert cluster.config.value("osd.1", "osd_recovery_sleep") == "0.5"


def test_the_operators_faster_limit_gives_way_for_the_maintenance_and_comes_back(
        context: None, cluster: Cluster) -> None:
    cluster.config.put("osd.1", "osd_max_backfills", "6")
    apply_recovery_settings(cluster="c1", reference=REF)
    assert cluster.config.value("osd.1", "osd_max_backfills") == "1"
    restore(cluster="c1", reference=REF)
    assert cluster.config.value("osd.1", "osd_max_backfills") == "6"


def test_restore_puts_back_exactly_what_was_there_and_twice_sends_nothing(
        context: None, cluster: Cluster, ledger: MemoryLedger) -> None:
    cluster.config.put("osd.2", "osd_scrub_sleep", "0.2")
    before = sorted(map(str, cluster.config.entries))
    apply_recovery_settings(cluster="c1", reference=REF)
    done = restore(cluster="c1", reference=REF)
    assert "osd.4 osd_max_backfills removed (none before)" in done["changed"]
    assert sorted(map(str, cluster.config.entries)) == before
    assert not any(k.startswith("recovery-settings:") for k in ledger.entries(REF))
    sent = len(cluster.sent())
    restore(cluster="c1", reference=REF)
    assert len(cluster.sent()) == sent


def test_a_value_someone_changed_during_the_maintenance_is_left_by_the_restore(
        context: None, cluster: Cluster) -> None:
    apply_recovery_settings(cluster="c1", reference=REF)
    cluster.config.put("osd.0", "osd_max_backfills", "5")
    restore(cluster="c1", reference=REF)
    assert cluster.config.value("osd.0", "osd_max_backfills") == "5"
    assert cluster.config.value("osd.1", "osd_max_backfills") is None


def test_an_osd_the_manager_has_not_heard_from_is_waited_for_then_left_alone(
        task_app: Celery, cluster: Cluster, ledger: MemoryLedger) -> None:
    clock = [datetime(2026, 1, 5, 12, 0, tzinfo=UTC)]
    install_context(task_app, TaskContext(
        inventory=asking({"backfills_per_osd": 1, "pace": "gentle"}), ledger=ledger,
        executor=FakeExecutor(), ceph_factory=lambda _: cluster.client,
        now=lambda: clock[0]))
    del cluster.config.op_queues[5]
    with pytest.raises(Retry):
        apply_recovery_settings(cluster="c1", reference=REF)
    assert cluster.sent() == []
    clock[0] += timedelta(seconds=REPORT_GRACE)
    done = apply_recovery_settings(cluster="c1", reference=REF)
    assert "osd.5 left alone: the manager has no running config of it" in done["groups"]
    assert not any(args["who"] == "osd.5" for _, args in cluster.sent())


def test_without_a_recovery_section_nothing_is_read_or_sent(
        task_app: Celery, cluster: Cluster, ledger: MemoryLedger) -> None:
    use(task_app, cluster, ledger, None)
    try:
        apply_recovery_settings(cluster="c1", reference=REF)
    finally:
        install_context(task_app, None)
    assert not [c for c in cluster.client.calls if c.prefix.startswith("config")]
