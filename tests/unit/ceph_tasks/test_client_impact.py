"""The client-impact hold: slow ops, OSD latency and a Prometheus query against the limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ceph_tasks.ceph.models import Health, OsdPerf, Status, parse_as
from ceph_tasks.decisions.client_impact import QueryReading, hold_reason
from inventory.settings import ClientImpact, PrometheusCheck

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
QUERY = "max(rate(ceph_osd_op_r_latency_sum[1m]))"
LIMITS = ClientImpact(max_osd_latency_ms=500,
                      prometheus=PrometheusCheck(url="http://prom:9090", query=QUERY,
                                                 threshold=0.2))


def fixture(state: str, name: str) -> Any:
    return json.loads((FIXTURES / state / f"{name}.json").read_text())


def health(*checks: tuple[str, str, bool]) -> Health:
    return Health.model_validate({
        "status": "HEALTH_WARN" if checks else "HEALTH_OK",
        "checks": {code: {"severity": "HEALTH_WARN", "summary": {"message": text, "count": 1},
                          "muted": muted}
                   for code, text, muted in checks},
    })


def perf(**latencies: tuple[float, float]) -> OsdPerf:
    return OsdPerf.model_validate({"osdstats": {"osd_perf_infos": [
        {"id": int(name.removeprefix("osd")),
         "perf_stats": {"commit_latency_ms": commit, "apply_latency_ms": apply}}
        for name, (commit, apply) in latencies.items()]}})


CLEAR = perf(osd0=(3, 2), osd5=(40, 1))


def test_captured_osd_perf_parses_to_every_osd_with_its_latencies() -> None:
    parsed = parse_as(OsdPerf, fixture("slow_ops", "osd_perf"), "osd perf")
    assert sorted(o.id for o in parsed.osds) == [0, 1, 2, 3, 4, 5]
    assert {(o.commit_latency_ms, o.apply_latency_ms) for o in parsed.osds} == {(0, 0)}


def test_osd_perf_of_older_releases_without_the_osdstats_wrapper_parses() -> None:
    parsed = OsdPerf.model_validate({"osd_perf_infos": [
        {"id": 7, "perf_stats": {"commit_latency_ms": 12, "apply_latency_ms": 30}}]})
    assert [(o.id, o.commit_latency_ms, o.apply_latency_ms) for o in parsed.osds] == [(7, 12, 30)]


def test_slow_ops_captured_on_the_sandbox_hold_naming_the_osds_and_the_oldest_age() -> None:
    status = parse_as(Status, fixture("slow_ops", "status"), "status")
    assert hold_reason(status.health, CLEAR, LIMITS) == (
        "slow ops on osd.1, osd.3, osd.4 for 42 s")


def test_slow_ops_of_one_osd_name_it() -> None:
    one = health(("SLOW_OPS", "1 slow ops, oldest one blocked for 40 sec, osd.5 has slow ops",
                  False))
    assert hold_reason(one, CLEAR, LIMITS) == "slow ops on osd.5 for 40 s"


def test_slow_ops_with_an_unfamiliar_summary_hold_quoting_it() -> None:
    odd = health(("SLOW_OPS", "something slow", False))
    assert hold_reason(odd, CLEAR, LIMITS) == "slow ops: something slow"
    assert hold_reason(health(("SLOW_OPS", "something slow", True)), CLEAR, LIMITS) == (
        "slow ops: something slow (muted)")


def test_slow_ops_of_a_monitor_and_an_osd_name_both_in_order() -> None:
    both = health(("SLOW_OPS", "5 slow ops, oldest one blocked for 61 sec, daemons "
                               "[osd.12,mon.a,osd.3] have slow ops.", False))
    assert hold_reason(both, CLEAR, LIMITS) == "slow ops on mon.a, osd.3, osd.12 for 61 s"


def test_muted_slow_ops_still_hold_and_say_they_are_muted() -> None:
    muted = health(("SLOW_OPS", "3 slow ops, oldest one blocked for 9 sec, osd.2 has slow ops",
                    True))
    assert hold_reason(muted, CLEAR, LIMITS) == "slow ops on osd.2 for 9 s (muted)"


def test_slow_ops_do_not_hold_when_the_inventory_says_so() -> None:
    slow = health(("SLOW_OPS", "3 slow ops, oldest one blocked for 9 sec, osd.2 has slow ops",
                   False))
    assert hold_reason(slow, CLEAR, ClientImpact(hold_on_slow_ops=False)) is None


def test_latency_over_the_limit_holds_naming_the_worst_osd_and_counting_the_others() -> None:
    slow = perf(osd3=(850, 10), osd4=(20, 600), osd1=(12, 499))
    assert hold_reason(health(), slow, LIMITS) == (
        "osd.3 commit latency 850 ms over 500 ms (and 1 more OSD(s))")
    assert hold_reason(health(), perf(osd4=(20, 600)), LIMITS) == (
        "osd.4 apply latency 600 ms over 500 ms")


def test_latency_at_the_limit_does_not_hold() -> None:
    assert hold_reason(health(), perf(osd1=(500, 500)), LIMITS) is None


def test_a_prometheus_value_over_the_threshold_holds_and_at_it_does_not() -> None:
    assert hold_reason(health(), CLEAR, LIMITS, QueryReading(QUERY, 0.42)) == (
        f"prometheus {QUERY} = 0.42 over 0.2")
    assert hold_reason(health(), CLEAR, LIMITS, QueryReading(QUERY, 0.2)) is None
    assert hold_reason(health(), CLEAR, LIMITS, QueryReading(QUERY, None)) is None


def test_an_unreadable_prometheus_holds_saying_so() -> None:
    reading = QueryReading(QUERY, error="connection refused")
    assert hold_reason(health(), CLEAR, LIMITS, reading) == (
        f"prometheus {QUERY} unreadable: connection refused")


def test_a_reading_without_a_configured_query_is_ignored() -> None:
    assert hold_reason(health(), CLEAR, ClientImpact(), QueryReading(QUERY, 99)) is None


def test_every_reason_over_its_limit_is_given() -> None:
    slow = health(("SLOW_OPS", "2 slow ops, oldest one blocked for 5 sec, "
                               "daemons [osd.10,osd.2] have slow ops.", False))
    reason = hold_reason(slow, perf(osd3=(900, 0)), LIMITS, QueryReading(QUERY, 1))
    assert reason == ("slow ops on osd.2, osd.10 for 5 s; osd.3 commit latency 900 ms over "
                      f"500 ms; prometheus {QUERY} = 1 over 0.2")


@pytest.mark.parametrize("state", ["healthy", "draining", "osd_down", "host_out"])
def test_other_health_checks_and_the_captured_states_do_not_hold(state: str) -> None:
    status = parse_as(Status, fixture(state, "status"), "status")
    assert hold_reason(status.health, CLEAR, LIMITS) is None
