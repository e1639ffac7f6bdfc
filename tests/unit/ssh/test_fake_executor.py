"""The in-memory executor's scripting: what beats what, and what it records."""

from __future__ import annotations

from ceph_tasks.testing.fake_executor import FakeExecutor, FakeReply
from tests.unit.ssh.hosts import make_host


def test_a_reply_for_the_host_beats_one_for_every_host_which_beats_a_handler() -> None:
    fake = FakeExecutor()
    host = make_host()
    fake.reply_with(lambda name, argv: FakeReply(stdout=f"handler {name}"))
    assert fake.run(host, ["hostname"]).stdout == "handler stor01"
    fake.reply(["hostname"], stdout="everywhere")
    assert fake.run(host, ["hostname"]).stdout == "everywhere"
    fake.reply(["hostname"], host="stor01", stdout="stor01 only")
    assert fake.run(host, ["hostname"]).stdout == "stor01 only"
    assert fake.commands_on("stor01") == [("hostname",)] * 3
    assert fake.commands_on("other") == []


def test_the_default_timeout_applies_when_the_caller_gives_none() -> None:
    fake = FakeExecutor(command_timeout=42)
    fake.reply(["sleep", "40"], duration=40)
    assert fake.run(make_host(), ["sleep", "40"]).ok
    assert fake.calls[0].timeout == 42
