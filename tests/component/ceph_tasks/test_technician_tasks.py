"""Downtime, notification and technician-gate task bodies, in-process, on fakes.

Beside the integration tests on a real Alertmanager, SMTP server and sandbox host: here the
cases those cannot stage on demand — a backend or channel failing half-way, a ticket closed,
a host unreachable during the swap, the gate's deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key
from ceph_tasks.errors import DeadlineExceeded, Refused, TaskFailed
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.monitoring import DowntimeBackend
from ceph_tasks.notify import TechnicianMessage, TechnicianNotifier
from ceph_tasks.notify.ticket import TicketTracker
from ceph_tasks.remote.devices import LSBLK
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.downtime import set_downtime
from ceph_tasks.tasks.locate import locate_devices
from ceph_tasks.tasks.restore import restore
from ceph_tasks.tasks.technicians import notify_technicians, wait_for_technician
from ceph_tasks.tasks.ticket_stage import ticket_stage
from ceph_tasks.testing.fake_downtimes import InMemoryDowntimes
from ceph_tasks.testing.fake_executor import FakeExecutor
from ceph_tasks.testing.fake_notify import InMemoryNotifier, InMemoryTickets
from inventory import FailurePolicy, Inventory

REF = "maint-7"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def inventory() -> Inventory:
    """node2 in DC1 / room R2 / rack A7 with two disks; a systemd host, so lsblk lists them."""
    return Inventory.model_validate({"clusters": [{
        "name": "c1",
        "access": {"mon_hosts": ["127.0.0.1"]},
        "hosts": [{"name": "node2", "datacenter": "DC1", "room": "R2", "rack": "A7",
                   "ssh": {"address": "127.0.9.3"}, "daemon_control": {"kind": "systemd"},
                   "devices": [{"path": "/dev/sdb", "serial": "OLD-B", "bay": "3"},
                               {"path": "/dev/sdc", "serial": "KEEP-C", "bay": "4"}]}],
    }]})


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Chat(InMemoryNotifier):
    """Named like the real chat channel."""


class Email(InMemoryNotifier):
    """Named like the real e-mail channel."""


@dataclass
class FakeContext(TaskContext):
    """A context whose monitoring, channels and tracker are in memory."""

    backends: list[InMemoryDowntimes] = field(default_factory=list)
    channels: list[InMemoryNotifier] = field(default_factory=list)
    tracker: InMemoryTickets | None = None

    def downtimes(self, cluster: str) -> Sequence[DowntimeBackend]:
        self.cluster(cluster)
        return self.backends

    def notifiers(self, cluster: str) -> Sequence[TechnicianNotifier]:
        self.cluster(cluster)
        return self.channels

    def tickets(self, cluster: str) -> TicketTracker | None:
        return self.tracker


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(clock: Clock, task_app: Celery) -> Iterator[FakeContext]:
    context = FakeContext(
        inventory=inventory(), ledger=MemoryLedger(), executor=FakeExecutor(),
        ceph_factory=lambda _: pytest.fail("these tasks need no Ceph"), now=clock,
        backends=[InMemoryDowntimes(name="icinga"), InMemoryDowntimes(name="alertmanager")],
        channels=[Chat(), Email()], tracker=InMemoryTickets())
    install_context(task_app, context)
    yield context
    install_context(task_app, None)


def downtime(**extra: object) -> Any:
    return set_downtime(cluster="c1", host="node2", reference=REF, duration_s=3600,
                        comment="disk swap", **extra)


# --- monitoring downtime ---------------------------------------------------------------

def test_a_second_set_later_on_keeps_the_one_downtime_per_backend(
        ctx: FakeContext, clock: Clock) -> None:
    first = downtime()
    clock.now += timedelta(minutes=10)
    second = downtime()
    assert [b["created"] for b in first["backends"]] == [True, True]
    assert [b["created"] for b in second["backends"]] == [False, False]
    assert second["end"] == first["end"] == (T0 + timedelta(hours=1)).isoformat()
    assert [len(b.downtimes) for b in ctx.backends] == [1, 1]


def test_the_restore_lifts_the_downtime_everywhere_and_a_second_one_finds_nothing(
        ctx: FakeContext) -> None:
    downtime()
    assert restore(cluster="c1", reference=REF, kinds=["downtimes"])["downtimes"] == {
        "node2": {"icinga": 1, "alertmanager": 1}}
    assert restore(cluster="c1", reference=REF)["downtimes"] == {}
    assert [b.downtimes for b in ctx.backends] == [{}, {}]
    assert ctx.ledger.recall(REF, "downtime:node2") is None


def test_a_failing_backend_is_named_and_the_re_run_completes_without_duplicates(
        ctx: FakeContext) -> None:
    ctx.backends[1].fail_with = "connection refused"
    with pytest.raises(TaskFailed, match=r"cluster c1, host node2: set monitoring downtime: "
                                         r"failed on 1 of 2 backend\(s\): backend alertmanager"):
        downtime()
    assert len(ctx.backends[0].downtimes) == 1
    ctx.backends[1].fail_with = None
    downtime()
    assert [len(b.downtimes) for b in ctx.backends] == [1, 1]


def test_a_downtime_without_duration_is_refused_and_sets_nothing(ctx: FakeContext) -> None:
    with pytest.raises(Refused, match=r"node2.*positive duration"):
        set_downtime(cluster="c1", host="node2", reference=REF, duration_s=0, comment="x")
    assert [b.downtimes for b in ctx.backends] == [{}, {}]


def test_an_unknown_host_fails_naming_it(ctx: FakeContext) -> None:
    with pytest.raises(TaskFailed, match="host node9"):
        set_downtime(cluster="c1", host="node9", reference=REF, duration_s=60, comment="x")


# --- notification ----------------------------------------------------------------------

def notify_message() -> TechnicianMessage:
    return TechnicianMessage("disk failed", "osd.1 down", "x", "c1", "node2")


def notify(**extra: object) -> Any:
    return notify_technicians(cluster="c1", host="node2", reference=REF,
                              action="Replace failed disk", device_paths=["/dev/sdb"], **extra)


def test_technicians_are_told_once_per_channel_and_ticket(ctx: FakeContext) -> None:
    first, second = notify(), notify()
    assert first["sent"] == ["chat", "email", "ticket"] and first["ticket"] == "OPS-1"
    assert second["sent"] == [] and second["already_sent"] == ["chat", "email", "ticket"]
    assert [len(c.sent) for c in ctx.channels] == [1, 1]
    [message] = ctx.channels[1].sent
    for text in ("DC1", "R2", "A7", "node2", "bay 3", "OLD-B", REF):
        assert text in message.body
    assert "KEEP-C" not in message.body
    assert ctx.ledger.recall(REF, "ticket") == "OPS-1"


def test_a_failed_channel_is_named_and_only_it_is_sent_on_the_re_run(ctx: FakeContext) -> None:
    ctx.channels[1].fail_with = "relay down"
    with pytest.raises(TaskFailed, match=r"host node2: notify technicians.*channel email: .*"
                                         r"relay down"):
        notify()
    ctx.channels[1].fail_with = None
    assert notify()["sent"] == ["email"]
    assert [len(c.sent) for c in ctx.channels] == [1, 1]


def test_a_second_action_comments_on_the_maintenances_ticket(ctx: FakeContext) -> None:
    notify()
    notify_technicians(cluster="c1", host="node2", reference=REF, action="Disk is back in")
    assert ctx.tracker is not None
    assert ctx.tracker.by_reference == {REF: "OPS-1"}
    assert len(ctx.tracker.comments["OPS-1"]) == 1
    assert [len(c.sent) for c in ctx.channels] == [2, 2]


def test_a_ticket_already_open_about_it_is_commented_not_opened_again(
        ctx: FakeContext) -> None:
    assert ctx.tracker is not None
    opened = ctx.tracker.notify(replace(notify_message(), reference="failure.c1-osd1.ab12cd34"))
    sent = notify(ticket=opened)
    assert sent["ticket"] == opened and sent["sent"] == ["chat", "email", "ticket"]
    assert ctx.tracker.by_reference == {"failure.c1-osd1.ab12cd34": opened}
    assert len(ctx.tracker.comments[opened]) == 1
    assert ctx.ledger.recall(REF, "ticket") == opened


def test_a_device_the_host_does_not_have_fails_naming_it(ctx: FakeContext) -> None:
    with pytest.raises(TaskFailed, match="host node2 has no device '/dev/sdz'"):
        notify_technicians(cluster="c1", host="node2", reference=REF, action="Replace",
                           device_paths=["/dev/sdz"])
    assert [c.sent for c in ctx.channels] == [[], []]


# --- the gate --------------------------------------------------------------------------

def lsblk(ctx: FakeContext, sdb: str) -> None:
    devices = [{"path": "/dev/sdb", "serial": sdb}, {"path": "/dev/sdc", "serial": "KEEP-C"}]
    assert isinstance(ctx.executor, FakeExecutor)
    ctx.executor.reply(LSBLK, host="node2", stdout=json.dumps({"blockdevices": devices}))


def confirm(ctx: FakeContext, *serials: str, host: str | None = None) -> None:
    ctx.ledger.note(REF, confirmation_key(host),
                    Confirmation("dana", ctx.now(), serials).to_json())


def gate(**extra: object) -> Any:
    args: dict[str, object] = {"timeout": 3600, "interval": 30, **extra}
    return wait_for_technician(cluster="c1", host="node2", reference=REF, **args)


def swap_gate() -> Any:
    return gate(expect_serials=1, device_paths=["/dev/sdb"])


def test_without_a_confirmation_the_gate_looks_again(ctx: FakeContext) -> None:
    with pytest.raises(Retry):
        gate()


def test_a_plain_confirmation_opens_a_gate_expecting_no_serials(ctx: FakeContext) -> None:
    confirm(ctx)
    assert gate()["released_by"] == f"confirmation by dana at {T0.isoformat()}"
    assert gate()["released_by"] == f"confirmation by dana at {T0.isoformat()}"
    assert isinstance(ctx.executor, FakeExecutor) and ctx.executor.calls == []


def test_a_confirmation_for_another_host_does_not_open_the_gate(ctx: FakeContext) -> None:
    confirm(ctx, host="node5")
    with pytest.raises(Retry):
        gate()


def test_the_old_serial_is_rejected_until_the_deadline_names_it(
        ctx: FakeContext, clock: Clock) -> None:
    lsblk(ctx, sdb="OLD-B")
    confirm(ctx, "OLD-B")
    with pytest.raises(Retry):
        swap_gate()
    clock.now += timedelta(hours=2)
    with pytest.raises(DeadlineExceeded,
                       match=r"host node2: wait for a technician.*still not done after 3600 s.*"
                             r"rejected: serial OLD-B is the old disk's, of /dev/sdb"):
        swap_gate()


def test_the_new_serial_the_host_reports_opens_the_gate_and_again(ctx: FakeContext) -> None:
    lsblk(ctx, sdb="NEW-B")
    confirm(ctx, "NEW-X")
    with pytest.raises(Retry):
        swap_gate()
    confirm(ctx, "NEW-B")
    assert "NEW-B" in str(swap_gate()["released_by"])
    assert "NEW-B" in str(swap_gate()["released_by"])


def test_an_unreachable_host_during_the_swap_is_a_reason_to_wait_not_to_fail(
        ctx: FakeContext, clock: Clock) -> None:
    assert isinstance(ctx.executor, FakeExecutor)
    ctx.executor.make_unreachable("node2")
    confirm(ctx, "NEW-B")
    with pytest.raises(Retry):
        swap_gate()
    clock.now += timedelta(hours=2)
    with pytest.raises(DeadlineExceeded, match="the host's disks could not be read"):
        swap_gate()


def test_a_done_ticket_opens_the_gate_only_when_no_serials_are_expected(
        ctx: FakeContext) -> None:
    notify()
    assert ctx.tracker is not None
    ctx.tracker.statuses["OPS-1"] = "Done"
    assert gate()["released_by"] == "ticket OPS-1 is Done"
    with pytest.raises(Retry):
        swap_gate()


def test_gate_arguments_that_cannot_be_met_are_refused(ctx: FakeContext) -> None:
    with pytest.raises(Refused, match="2 new serials cannot fit on 1 device"):
        gate(expect_serials=2, device_paths=["/dev/sdb"])
    with pytest.raises(TaskFailed, match="host node2 has no device '/dev/sdz'"):
        gate(expect_serials=1, device_paths=["/dev/sdz"])


# --- the drive's identify LED ------------------------------------------------------------

def located(ctx: FakeContext) -> None:
    """The cluster's failure policy lights LEDs with ledctl."""
    [cluster] = ctx.inventory.clusters
    policy = FailurePolicy(locate_on=("ledctl", "locate={device}"),
                           locate_off=("ledctl", "locate_off={device}"))
    ctx.inventory = Inventory(clusters=(cluster.model_copy(update={"failures": policy}),))
    assert isinstance(ctx.executor, FakeExecutor)
    ctx.executor.reply(["ledctl", "locate=/dev/sdb"])
    ctx.executor.reply(["ledctl", "locate_off=/dev/sdb"])


def test_the_led_is_recorded_before_it_is_lit_and_forgotten_once_out(ctx: FakeContext) -> None:
    located(ctx)
    assert isinstance(ctx.executor, FakeExecutor)
    locate_devices(cluster="c1", reference=REF, host="node2", devices=["/dev/sdb"], on=True)
    assert ctx.executor.commands_on("node2") == [("ledctl", "locate=/dev/sdb")]
    assert ctx.ledger.recall(REF, "locate-lit:node2:/dev/sdb") is not None
    locate_devices(cluster="c1", reference=REF, host="node2", devices=["/dev/sdb"], on=False)
    assert ctx.executor.commands_on("node2")[-1] == ("ledctl", "locate_off=/dev/sdb")
    assert ctx.ledger.recall(REF, "locate-lit:node2:/dev/sdb") is None


def test_a_cancelled_maintenance_has_its_lit_led_put_out_by_the_restore(
        ctx: FakeContext) -> None:
    located(ctx)
    assert isinstance(ctx.executor, FakeExecutor)
    locate_devices(cluster="c1", reference=REF, host="node2", devices=["/dev/sdb"], on=True)
    assert restore(cluster="c1", reference=REF)["locates_out"] == ["/dev/sdb"]
    assert ctx.executor.commands_on("node2")[-1] == ("ledctl", "locate_off=/dev/sdb")
    assert restore(cluster="c1", reference=REF)["locates_out"] == []


def test_without_locate_commands_the_led_step_is_refused(ctx: FakeContext) -> None:
    with pytest.raises(Refused, match="no locate_on / locate_off command"):
        locate_devices(cluster="c1", reference=REF, host="node2", devices=["/dev/sdb"],
                       on=True)
    assert ctx.ledger.entries(REF) == {}


# --- the ticket's stages -----------------------------------------------------------------

def test_each_stage_is_said_once_on_the_ticket_and_the_last_closes_it(
        ctx: FakeContext) -> None:
    assert ctx.tracker is not None
    key = ctx.tracker.notify(replace(notify_message(), reference="failure.c1-osd1.ab12cd34"))
    started = ticket_stage(cluster="c1", reference=REF, stage="started", text="started",
                           ticket=key)
    assert started["ticket"] == key and started["said"]["result"] == "1"
    again = ticket_stage(cluster="c1", reference=REF, stage="started", text="started")
    assert again["said"] == started["said"] and len(ctx.tracker.comments[key]) == 1
    ticket_stage(cluster="c1", reference=REF, stage="done", text="osd.1 back", close=True)
    assert ctx.tracker.statuses[key] == "Done"
    assert ctx.tracker.comments[key][-1].startswith("osd.1 back")


def test_a_stage_before_any_ticket_exists_has_nothing_to_say_it_on(ctx: FakeContext) -> None:
    said = ticket_stage(cluster="c1", reference=REF, stage="recreated", text="back")
    assert said == {"cluster": "c1", "ticket": None, "stage": "recreated", "said": None}
    assert ctx.tracker is not None and ctx.tracker.comments == {}
