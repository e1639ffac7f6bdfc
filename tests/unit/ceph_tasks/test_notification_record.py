"""Which technician channels are still to be used, and where their sends are recorded."""

from __future__ import annotations

from ceph_tasks.decisions.notification_record import channel_names, notified_key, to_send


def test_each_channel_is_named_by_its_kind_and_repeats_are_numbered() -> None:
    assert channel_names(["chat", "email"]) == ("chat", "email")
    assert channel_names(["email", "chat", "email", "email"]) == (
        "email", "chat", "email-2", "email-3")


def test_only_channels_not_recorded_are_sent_in_their_order() -> None:
    assert to_send(["chat", "email"], []) == ("chat", "email")
    assert to_send(["chat", "email"], ["chat"]) == ("email",)
    assert to_send(["chat", "email"], ["email", "chat"]) == ()


def test_a_send_is_recorded_per_host_channel_and_action() -> None:
    keys = {notified_key(h, a, c) for h in ("node2", "node3") for a in ("pull", "insert")
            for c in ("chat", "email")}
    assert len(keys) == 8
    assert notified_key("node2", "Replace disk", "email") == "notified:node2:email:Replace disk"
