"""Per-OSD recovery settings on wpq and mClock OSDs, the operator's own kept (pure)."""

from __future__ import annotations

from typing import Any

from ceph_tasks.ceph.models.config_db import ConfigEntry, parse_config_dump, running_value
from ceph_tasks.decisions.recovery_settings import (
    MAX_ACTIVE,
    MAX_BACKFILLS,
    OVERRIDE,
    PROFILE,
    SLEEP,
    OsdPlace,
    decide,
    osd_ranges,
    record,
    restore_changes,
    setting_key,
    to_send,
)
from ceph_tasks.decisions.restoration import Kind, recorded, recovery_restores, restorable_key
from inventory import RecoveryPace, RecoverySettings

GENTLE_ONE = RecoverySettings(backfills_per_osd=1, pace=RecoveryPace.GENTLE)
GENTLE_TWO = RecoverySettings(backfills_per_osd=2, pace=RecoveryPace.GENTLE)
WPQ = dict.fromkeys(range(6), "wpq")
MCLOCK = dict.fromkeys(range(6, 9), "mclock_scheduler")


def entry(section: str, name: str, value: str, **mask: str) -> ConfigEntry:
    return ConfigEntry(section=section, name=name, value=value, **mask)


def options(decision: Any, osd: int) -> list[tuple[str, str]]:
    return [(s.option, s.value) for s in decision.settings if s.osd == osd]


def test_wpq_osds_get_the_backfill_limit_and_the_gentle_pace() -> None:
    decision = decide(WPQ, [], GENTLE_ONE)
    assert options(decision, 0) == [(MAX_BACKFILLS, "1"), (MAX_ACTIVE, "1"), (SLEEP, "0.1")]
    assert not decision.kept and not decision.skipped


def test_balanced_and_fast_on_wpq_set_only_the_ops_in_flight() -> None:
    assert options(decide(WPQ, [], RecoverySettings(pace=RecoveryPace.BALANCED)), 1) == [
        (MAX_ACTIVE, "3")]
    assert options(decide(WPQ, [], RecoverySettings(pace=RecoveryPace.FAST)), 1) == [
        (MAX_ACTIVE, "8")]


def test_mclock_osds_get_a_profile_for_the_pace() -> None:
    for pace, profile in [(RecoveryPace.GENTLE, "high_client_ops"),
                          (RecoveryPace.BALANCED, "balanced"),
                          (RecoveryPace.FAST, "high_recovery_ops")]:
        decision = decide(MCLOCK, [], RecoverySettings(pace=pace))
        assert options(decision, 7) == [(PROFILE, profile)]


def test_mclock_gets_the_override_only_with_a_backfill_limit_and_before_it() -> None:
    limited = decide(MCLOCK, [], GENTLE_ONE)
    assert options(limited, 6) == [(PROFILE, "high_client_ops"), (OVERRIDE, "true"),
                                   (MAX_BACKFILLS, "1")]
    paced = decide(MCLOCK, [], RecoverySettings(pace=RecoveryPace.GENTLE))
    assert OVERRIDE not in {s.option for s in paced.settings}
    assert MAX_ACTIVE not in {s.option for s in limited.settings}


def test_a_mixed_cluster_is_described_per_scheduler_in_ranges() -> None:
    decision = decide({**WPQ, **MCLOCK}, [], GENTLE_ONE)
    assert decision.describe() == [
        "osd.0-5 (wpq): osd_max_backfills 1, osd_recovery_max_active 1, "
        "osd_recovery_sleep 0.1",
        "osd.6-8 (mclock): profile high_client_ops, override + osd_max_backfills 1",
    ]


def test_an_unknown_op_queue_leaves_that_osd_alone_and_says_why() -> None:
    decision = decide({0: "wpq", 1: "debug_random"}, [], GENTLE_ONE)
    assert {s.osd for s in decision.settings} == {0}
    assert decision.describe()[-1].startswith("osd.1 left alone: op queue 'debug_random'")


def test_the_operators_entries_as_gentle_for_osds_and_for_one_osd_are_kept() -> None:
    dump = [entry("osd", MAX_BACKFILLS, "1"), entry("osd.2", MAX_ACTIVE, "1")]
    decision = decide(WPQ, dump, GENTLE_TWO)
    assert MAX_BACKFILLS not in {s.option for s in decision.settings}
    assert options(decision, 2) == [(SLEEP, "0.1")]
    kept = {(k.osd, k.option, k.value, k.where) for k in decision.kept}
    assert (2, MAX_ACTIVE, "1", "osd.2") in kept and (0, MAX_BACKFILLS, "1", "osd") in kept
    assert "the operator's kept: osd_max_backfills 1 (osd)" in decision.describe()[0]


def test_the_operators_faster_limits_give_way_to_the_maintenances_gentler_ones() -> None:
    dump = [entry("osd", MAX_BACKFILLS, "3"), entry("osd.2", MAX_ACTIVE, "5"),
            entry("global", SLEEP, "0")]
    decision = decide(WPQ, dump, GENTLE_ONE)
    assert options(decision, 2) == [(MAX_BACKFILLS, "1"), (MAX_ACTIVE, "1"), (SLEEP, "0.1")]
    assert not decision.kept


def test_the_operators_pace_is_kept_even_where_ours_is_gentler() -> None:
    decision = decide({6: "mclock_scheduler"}, [entry("osd", PROFILE, "high_recovery_ops")],
                      RecoverySettings(pace=RecoveryPace.GENTLE))
    assert not decision.settings and decision.kept[0].value == "high_recovery_ops"


def test_a_global_entry_is_the_operators_too() -> None:
    decision = decide({0: "wpq"}, [entry("global", SLEEP, "0.5")], GENTLE_ONE)
    assert SLEEP not in {s.option for s in decision.settings}


def test_a_masked_entry_counts_only_for_the_osds_it_covers() -> None:
    dump = [entry("osd", MAX_BACKFILLS, "1", location_type="host", location_value="node1"),
            entry("osd", MAX_ACTIVE, "1", device_class="ssd")]
    places = {0: OsdPlace("hdd", {"host": "node0"}), 1: OsdPlace("ssd", {"host": "node1"})}
    decision = decide({0: "wpq", 1: "wpq"}, dump, GENTLE_TWO, places=places)
    assert options(decision, 0) == [(MAX_BACKFILLS, "2"), (MAX_ACTIVE, "1"), (SLEEP, "0.1")]
    assert options(decision, 1) == [(SLEEP, "0.1")]
    assert {k.where for k in decision.kept} == {"osd/host:node1", "osd/class:ssd"}


def test_a_masked_entry_for_an_osd_of_unknown_place_is_kept_to_be_safe() -> None:
    dump = [entry("osd", MAX_BACKFILLS, "1", device_class="hdd")]
    assert MAX_BACKFILLS not in {s.option for s in decide({0: "wpq"}, dump, GENTLE_TWO)
                                 .settings}


def test_the_operators_backfill_limit_under_mclock_gets_no_override_from_us() -> None:
    decision = decide({6: "mclock_scheduler"}, [entry("osd.6", MAX_BACKFILLS, "1")], GENTLE_TWO)
    assert options(decision, 6) == [(PROFILE, "high_client_ops")]


def test_the_operators_override_is_kept_and_our_limit_still_set() -> None:
    decision = decide({6: "mclock_scheduler"}, [entry("osd", OVERRIDE, "false")], GENTLE_ONE)
    assert options(decision, 6) == [(PROFILE, "high_client_ops"), (MAX_BACKFILLS, "1")]


def test_a_rerun_sends_nothing_already_set_and_does_not_take_ours_for_the_operators() -> None:
    first = decide({0: "wpq"}, [], GENTLE_ONE)
    after = [entry("osd.0", s.option, s.value) for s in first.settings]
    ours = [s.ledger_key for s in first.settings]
    again = decide({0: "wpq"}, after, GENTLE_ONE, ours=ours)
    assert again.settings == first.settings and not again.kept
    assert to_send(again, after) == []
    # Without the ledger's word the same entries are somebody else's.
    assert not decide({0: "wpq"}, after, GENTLE_ONE).settings


def test_restore_removes_ours_and_puts_back_a_value_that_was_there() -> None:
    records = {setting_key(6, OVERRIDE): {"before": None, "set": "true"},
               setting_key(6, MAX_BACKFILLS): {"before": "2", "set": "1"},
               setting_key(0, MAX_ACTIVE): {"before": None, "set": "1"}}
    now = [entry("osd.6", OVERRIDE, "true"), entry("osd.6", MAX_BACKFILLS, "1"),
           entry("osd.0", MAX_ACTIVE, "1")]
    changes = restore_changes(records, now)
    assert [(c.prefix, dict(c.args)) for c in changes] == [
        ("config rm", {"who": "osd.0", "name": MAX_ACTIVE}),
        ("config set", {"who": "osd.6", "name": MAX_BACKFILLS, "value": "2"}),
        ("config rm", {"who": "osd.6", "name": OVERRIDE})]


def test_restore_leaves_what_someone_changed_or_removed_since() -> None:
    records = {setting_key(0, MAX_BACKFILLS): {"before": None, "set": "1"},
               setting_key(1, MAX_BACKFILLS): {"before": None, "set": "1"}}
    now = [entry("osd.0", MAX_BACKFILLS, "6")]
    assert restore_changes(records, now) == []


def test_restore_after_the_restore_sends_nothing() -> None:
    records = {setting_key(0, MAX_BACKFILLS): {"before": "3", "set": "1"}}
    assert restore_changes(records, [entry("osd.0", MAX_BACKFILLS, "3")]) == []


def test_the_records_are_a_restorable_kind_of_their_own() -> None:
    key = setting_key(4, PROFILE)
    assert restorable_key(key)
    entries = {key: record(decide({4: "mclock_scheduler"}, [], GENTLE_ONE).settings[0], None),
               "movers:balancer": {"active": True}}
    assert recorded(entries, [Kind.RECOVERY]) == {key: {"before": None,
                                                       "set": "high_client_ops"}}
    assert [c.says for c in recovery_restores(entries, [entry("osd.4", PROFILE,
                                                                "high_client_ops")])] == [
        "osd.4 osd_mclock_profile removed (none before)"]


def test_config_dump_entries_and_a_bare_running_value_are_parsed() -> None:
    dumped = parse_config_dump([
        {"section": "osd", "name": "osd_max_backfills", "value": "2", "level": "advanced",
         "can_update_at_runtime": True, "mask": "host:node1", "location_type": "host",
         "location_value": "node1"},
        {"section": "osd.3", "name": "osd_mclock_profile", "value": "balanced",
         "level": "advanced", "can_update_at_runtime": True, "mask": ""}])
    assert dumped[0].masked and not dumped[1].masked
    assert running_value("wpq\n", "osd.0", "osd_op_queue") == "wpq"


def test_osd_ranges_join_runs() -> None:
    assert osd_ranges([5, 0, 1, 2, 8, 10, 11]) == "osd.0-2, osd.5, osd.8, osd.10-11"


def test_a_value_the_config_database_rewrote_in_its_own_form_is_still_ours() -> None:
    [sleep] = [s for s in decide({0: "wpq"}, [], RecoverySettings(pace=RecoveryPace.GENTLE))
               .settings if s.option == SLEEP]
    stored = [entry("osd.0", SLEEP, "0.100000"), entry("osd.0", MAX_ACTIVE, "1")]
    recorded_here = {sleep.ledger_key: record(sleep, None)}
    assert [c.args for c in restore_changes(recorded_here, stored)] == [
        {"who": "osd.0", "name": SLEEP}]
    assert not to_send(decide({0: "wpq"}, [], RecoverySettings(pace=RecoveryPace.GENTLE)),
                       stored)
