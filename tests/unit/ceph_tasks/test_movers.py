"""Ceph's balancer and autoscaler paused while data moves, and put back as they were (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models import Pool
from ceph_tasks.decisions.movers import (
    BALANCER_KEY,
    autoscale_key,
    pause_changes,
    resizing_pools,
    restore_changes,
)


def pool(name: str, mode: str, pg: tuple[int, int] = (32, 32),
         pgp: tuple[int, int] = (32, 32)) -> Pool:
    return Pool.model_validate({
        "pool_id": 1, "pool_name": name, "size": 3, "min_size": 2, "crush_rule": 0,
        "pg_autoscale_mode": mode, "pg_num": pg[0], "pg_num_target": pg[1],
        "pg_placement_num": pgp[0], "pg_placement_num_target": pgp[1]})


def test_a_pause_turns_the_balancer_off_and_only_autoscalers_that_are_on_to_warn() -> None:
    changes = pause_changes({"active": True, "mode": "upmap"},
                            [pool("rbd", "on"), pool("logs", "off"), pool("cold", "warn")])
    assert [c.says for c in changes] == ["balancer off", "pool rbd pg_autoscale_mode warn"]
    assert changes[1].args == {"pool": "rbd", "var": "pg_autoscale_mode", "val": "warn"}


def test_nothing_to_pause_sends_nothing() -> None:
    assert pause_changes({"active": False, "mode": "upmap"}, [pool("rbd", "off")]) == []


def test_a_restore_puts_back_what_was_recorded_and_leaves_what_someone_changed_since() -> None:
    recorded = {BALANCER_KEY: {"active": True, "mode": "upmap"},
                autoscale_key("rbd"): "on", autoscale_key("logs"): "on",
                autoscale_key("cold"): "warn"}
    now = [pool("rbd", "warn"), pool("logs", "off"), pool("cold", "warn")]
    changes = restore_changes(recorded, {"active": False}, now)
    # logs was set off by an operator meanwhile: theirs stays.
    assert [c.says for c in changes] == ["balancer on", "pool rbd pg_autoscale_mode on"]
    assert restore_changes(recorded, {"active": True}, [pool("rbd", "on")]) == []


def test_a_split_or_merge_under_way_is_named_until_pg_and_pgp_num_reach_their_targets() -> None:
    assert resizing_pools([pool("rbd", "on", pg=(32, 64), pgp=(32, 64)),
                           pool("logs", "on", pgp=(24, 32)), pool("cold", "on")]) == [
        "pool rbd: pg_num 32 -> 64, pgp_num 32 -> 64", "pool logs: pgp_num 24 -> 32"]
