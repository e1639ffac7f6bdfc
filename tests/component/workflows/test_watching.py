"""`cephmaint watch` on a cluster read through a fake client, with a real Redis.

Told once per failure (chat and a ticket, the approving command naming that ticket), an
automatic start taking the cluster's lease like `run`, and devicehealth's self-heal turned
off while cephmaint acts on failing devices, then back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from pydantic import SecretStr

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.movers import SELF_HEAL_KEY, SELF_HEAL_OPTION
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from ceph_tasks.testing.fake_ceph import FakeCephClient
from inventory import (
    ChatTarget,
    Cluster,
    FailingDevices,
    FailureAction,
    FailurePolicy,
    NotificationTargets,
    TicketTarget,
)
from tests.support.lab import FIXTURES, lab_cluster
from tests.support.pg_map_by_hand import healthy_pg_dump
from tests.support.service_daemons import daemon_answers
from workflows.engine import WATCH_TASK, worker_app
from workflows.lease_taking import take_lease
from workflows.leases import RedisLeases
from workflows.watching import Watcher, watch_reference

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
STAMP = "%Y-%m-%dT%H:%M:%S.%f+0000"
WEBHOOK = "https://chat.example.org/hooks/T0/B0/secret"
JIRA = "https://jira.example.org"
#: What a Pacific sandbox answered to `versions` (the older captures predate that read).
PACIFIC_VERSIONS = json.loads((FIXTURES / "pacific" / "healthy" / "versions.json").read_text())


def osd_down_client(self_heal: bool = True) -> FakeCephClient:
    """The osd_down capture (osd.0 down for 15 minutes) with what planning reads besides."""
    client = FakeCephClient.from_fixtures(FIXTURES / "osd_down")
    client.answer("versions", PACIFIC_VERSIONS)
    dump = json.loads((FIXTURES / "healthy" / "osd_dump.json").read_text())
    dump["osds"][0].update(up=0, down_at=dump["epoch"])
    # The epoch that marked it down (the fake answers every epoch with this one).
    dump["modified"] = (NOW - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    client.answer("osd dump", dump)
    client.answer("pg dump", healthy_pg_dump())
    for prefix, answer in daemon_answers(mons=("node0",), mgrs=("node0",)).items():
        client.answer(prefix, answer)
    client.answer("device ls", [])
    client.answer("config get", self_heal)
    client.answer("config set", "")
    return client


def cluster(action: FailureAction = FailureAction.PROPOSE, **policy: Any) -> Cluster:
    lab = lab_cluster()
    return lab.model_copy(update={
        "name": f"lab-{uuid.uuid4().hex[:8]}",
        "failures": FailurePolicy(action=action, **policy),
        "notifications": NotificationTargets(
            chat=ChatTarget(webhook_url=SecretStr(WEBHOOK)),
            ticket=TicketTarget(url=JIRA, project="DCOPS", token=SecretStr("t0ken")))})


@pytest.fixture
def services() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, WEBHOOK, body="ok")
        mock.add(responses.GET, f"{JIRA}/rest/api/2/search",
                 json={"startAt": 0, "maxResults": 1, "total": 0, "issues": []})
        mock.add(responses.POST, f"{JIRA}/rest/api/2/issue", status=201,
                 json={"id": "10042", "key": "DCOPS-42", "self": f"{JIRA}/issue/10042"})
        yield mock


def watcher(redis_url: str, client: FakeCephClient) -> Watcher:
    app = worker_app(Settings(broker_url=redis_url, redis_url=redis_url),
                     name=f"watch-{uuid.uuid4().hex[:6]}")
    return Watcher(app, now=lambda: NOW, connect=lambda _: client)


def posted(mock: responses.RequestsMock, url: str) -> list[Any]:
    return [c.request for c in mock.calls if c.request.url.startswith(url)
            and c.request.method == "POST"]


def test_a_failed_disk_is_proposed_once_on_chat_and_a_ticket_the_command_carries(
        redis_url: str, services: responses.RequestsMock) -> None:
    lab = cluster()
    watch = watcher(redis_url, osd_down_client())
    [outcome] = watch.look(lab)
    assert outcome.verdict.action == "propose"
    assert outcome.done == "told (ticket DCOPS-42, chat)"
    command = f"cephmaint run disk osd.0 --cluster {lab.name} --failed --ticket DCOPS-42"
    assert outcome.command == command
    [chat] = posted(services, WEBHOOK)
    text = json.loads(chat.body)["text"]
    assert "osd.0 on node0 failed: replacement proposed" in text
    assert "failed disk replacement" in text and command in text
    [ticket] = posted(services, f"{JIRA}/rest/api/2/issue")
    assert "failed disk replacement" in json.loads(ticket.body)["fields"]["description"]
    told = RedisLedger.from_url(redis_url).entries(watch_reference(lab.name))
    assert [k for k in told if k.startswith("told:osd.0:failed:")]

    [again] = watch.look(lab)
    assert again.verdict.action == "propose" and again.done == ""
    assert len(posted(services, WEBHOOK)) == 1
    assert len(posted(services, f"{JIRA}/rest/api/2/issue")) == 1


def test_an_automatic_start_takes_the_lease_on_the_ticket_it_was_told_on(
        redis_url: str, services: responses.RequestsMock) -> None:
    lab = cluster(FailureAction.AUTO)
    client = osd_down_client()
    watch = watcher(redis_url, client)
    # Unhealthy for another reason: it waits, the operators told (and a ticket opened).
    skew = client.answers["status"]
    skew["health"]["checks"]["MON_CLOCK_SKEW"] = {
        "severity": "HEALTH_WARN", "summary": {"message": "clock skew detected", "count": 1}}
    client.answer("status", skew)
    [waiting] = watch.look(lab)
    assert waiting.verdict.action == "wait" and "MON_CLOCK_SKEW" in waiting.verdict.reason
    assert RedisLeases.from_url(redis_url).holders(lab.name) == []

    client.answer("status", osd_down_client().answers["status"])
    [started] = watch.look(lab)
    assert started.verdict.action == "start" and started.done.startswith("started disk.")
    reference = started.done.removeprefix("started ")
    [holder] = RedisLeases.from_url(redis_url).holders(lab.name)
    assert holder.reference == reference and holder.hosts == ("node0",)
    plan = RedisLedger.from_url(redis_url).recall(reference, "plan")
    notify = next(s for s in plan["steps"] if s["task"] == "cephmaint.notify_technicians")
    assert notify["kwargs"]["ticket"] == "DCOPS-42"
    # In its maintenance now: left alone.
    [held] = watch.look(lab)
    assert held.verdict.action == "skip" and held.verdict.reason == f"in maintenance {reference}"


def test_self_heal_is_off_while_cephmaint_acts_on_failing_devices_then_back(
        redis_url: str, services: responses.RequestsMock) -> None:
    lab = cluster(failing_devices=FailingDevices.CEPHMAINT)
    client = osd_down_client(self_heal=True)
    watch = watcher(redis_url, client)
    watch.look(lab)
    sets = [c for c in client.calls if c.prefix == "config set"]
    assert [c.args for c in sets] == [{"who": "mgr", "name": SELF_HEAL_OPTION,
                                       "value": "false"}]
    ledger = RedisLedger.from_url(redis_url)
    assert ledger.recall(watch_reference(lab.name), SELF_HEAL_KEY) is True

    client.answer("config get", False)
    watch.look(lab)  # already off: nothing sent
    assert len([c for c in client.calls if c.prefix == "config set"]) == 1
    watch.look(lab.model_copy(update={"failures": FailurePolicy()}))
    sets = [c for c in client.calls if c.prefix == "config set"]
    assert sets[-1].args == {"who": "mgr", "name": SELF_HEAL_OPTION, "value": "true"}
    assert ledger.recall(watch_reference(lab.name), SELF_HEAL_KEY) is None


def test_self_heal_an_operator_turned_off_is_left_off_when_ceph_acts(
        redis_url: str, services: responses.RequestsMock) -> None:
    client = osd_down_client(self_heal=False)
    watcher(redis_url, client).look(cluster())
    assert not [c for c in client.calls if c.prefix == "config set"]


def test_a_worker_given_a_watch_interval_schedules_the_watch_on_its_beat(redis_url: str) -> None:
    app = worker_app(Settings(broker_url=redis_url, redis_url=redis_url, watch_seconds=90),
                     name=f"beat-{uuid.uuid4().hex[:6]}")
    app.loader.import_default_modules()
    assert WATCH_TASK in app.tasks
    assert app.conf.beat_schedule == {WATCH_TASK: {
        "task": WATCH_TASK, "schedule": 90.0, "options": {"expires": 90.0}}}
    quiet = worker_app(Settings(broker_url=redis_url, redis_url=redis_url),
                       name=f"beat-{uuid.uuid4().hex[:6]}")
    assert not quiet.conf.beat_schedule


class MapClient(FakeCephClient):
    """A fake that also hands out the binary osdmap captured from the same sandbox."""

    def mon_command_bytes(self, prefix: str, **args: Any) -> bytes:
        self.calls.append(CephCommand(prefix, args))
        return (FIXTURES / "osdmap" / "sandbox-epoch25.bin").read_bytes()


def failing_device_client() -> FakeCephClient:
    """A healthy cluster whose manager predicts osd.2's disk to fail in ten days."""
    client = MapClient(FakeCephClient.from_fixtures(FIXTURES / "healthy").answers)
    client.answer("versions", PACIFIC_VERSIONS)
    client.answer("pg dump", healthy_pg_dump())
    for prefix, answer in daemon_answers(mons=("node0",), mgrs=("node0",)).items():
        client.answer(prefix, answer)
    expected = NOW + timedelta(days=10)
    client.answer("device ls", [{
        "devid": "SEAGATE_ST4000NM0035_ZC1AB2CD", "daemons": ["osd.2"],
        "location": [{"host": "node1", "dev": "sdb", "path": "/dev/disk/by-path/x"}],
        "life_expectancy_min": (expected - timedelta(days=5)).strftime(STAMP),
        "life_expectancy_max": expected.strftime(STAMP),
        "life_expectancy_stamp": NOW.strftime(STAMP)}])
    client.answer("config get", True)
    client.answer("config set", "")
    return client


def test_a_disk_predicted_to_fail_is_proposed_for_a_drain_before_its_swap(
        redis_url: str, services: responses.RequestsMock) -> None:
    lab = cluster(failing_devices=FailingDevices.CEPHMAINT)
    client = failing_device_client()
    [outcome] = watcher(redis_url, client).look(lab)
    assert outcome.verdict.failure.kind == "failing" and outcome.verdict.action == "propose"
    assert outcome.command == (f"cephmaint run disk osd.2 --cluster {lab.name} "
                               "--ticket DCOPS-42")
    text = json.loads(posted(services, WEBHOOK)[0].body)["text"]
    assert "device SEAGATE_ST4000NM0035_ZC1AB2CD of osd.2 expected to fail by" in text
    assert "Plan (disk replacement)" in text and "drain osd.2 in steps" in text, text
    assert "devicehealth self_heal is off on this cluster" in text


def test_a_start_the_busy_cluster_refuses_is_told_once_and_tried_again(
        redis_url: str, services: responses.RequestsMock) -> None:
    lab = cluster(FailureAction.AUTO)
    watch = watcher(redis_url, osd_down_client())
    take_lease(watch.app, lab.name, "maintenance.node2.0a0b0c0d", ["node2"])
    [refused] = watch.look(lab)
    assert refused.verdict.action == "wait" and refused.done.startswith("not started (told")
    assert "maintenance.node2.0a0b0c0d" in refused.verdict.reason
    [again] = watch.look(lab)
    assert again.done == "not started (told before)"
    assert len(posted(services, WEBHOOK)) == 1
