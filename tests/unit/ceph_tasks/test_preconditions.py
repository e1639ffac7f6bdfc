"""Start health, ok-to-stop and safe-to-destroy verdicts on captured answers."""

from __future__ import annotations

from ceph_tasks.ceph.models import OkToStop, SafeToDestroy, Status
from ceph_tasks.decisions.preconditions import (
    ok_to_stop_problem,
    safe_to_destroy_problem,
    start_problems,
)
from tests.unit.ceph_tasks.crush_maps import captured


def status(state: str) -> Status:
    return Status.model_validate(captured(state, "status"))


def test_a_healthy_cluster_may_start_a_maintenance() -> None:
    assert start_problems(status("healthy")) == ()


def test_a_cluster_with_an_osd_down_may_not_and_the_reasons_say_why() -> None:
    problems = start_problems(status("osd_down"))
    assert any(p.startswith("OSD_DOWN") for p in problems)
    assert any("not active+clean" in p for p in problems)


def test_a_warning_the_cluster_lives_with_does_not_stop_a_start() -> None:
    # An operator's noout and scrub flags: HEALTH_WARN, every PG clean, data available.
    assert start_problems(status("flags_set")) == ()


def test_a_draining_cluster_may_not_start_another_maintenance() -> None:
    problems = start_problems(status("draining"))
    assert any("misplaced" in p for p in problems)


def test_ok_to_stop_passes_when_ceph_says_so() -> None:
    answer = OkToStop.model_validate(captured("healthy", "osd_ok_to_stop"))
    assert ok_to_stop_problem(answer, [4, 5]) is None


def test_not_ok_to_stop_names_the_pgs_that_would_go_inactive() -> None:
    answer = OkToStop.model_validate({**captured("healthy", "osd_ok_to_stop_unsafe"),
                                      "reason": "unsafe to stop osd(s) at this time"})
    problem = ok_to_stop_problem(answer, [0, 1, 2, 3])
    assert problem is not None
    assert problem.startswith("stopping osd.0, osd.1, osd.2, osd.3 is not ok")
    assert "2.0, 2.4, 2.7" in problem and "and 2 more" in problem
    assert "ceph says: unsafe to stop" in problem


def test_unknown_pg_states_are_not_now_with_the_clusters_message() -> None:
    # EAGAIN: no JSON, only the message; the facade turns it into this answer.
    answer = OkToStop(ok_to_stop=False,
                      reason="3 PGs have unknown state; cannot draw any conclusions")
    problem = ok_to_stop_problem(answer, [4])
    assert problem == ("stopping osd.4 is not ok; ceph says: 3 PGs have unknown state; "
                       "cannot draw any conclusions")


def test_safe_to_destroy_reads_the_list_not_the_exit_status() -> None:
    # Captured with exit 0 on a healthy cluster: OSDs holding PGs are not safe.
    answer = SafeToDestroy.model_validate(captured("healthy", "osd_safe_to_destroy"))
    assert safe_to_destroy_problem(answer, [4, 5]) == (
        "not safe to destroy osd.4, osd.5: osd.4, osd.5 still hold PGs (acting or up)")


def test_safe_to_destroy_explains_stored_data_and_missing_statistics() -> None:
    draining = SafeToDestroy.model_validate(captured("draining", "osd_safe_to_destroy"))
    assert "osd.2, osd.3 still store PG data" in str(safe_to_destroy_problem(draining, [2, 3]))
    down = SafeToDestroy.model_validate(captured("osd_down", "osd_safe_to_destroy"))
    assert "osd.0 have no PG statistics" in str(safe_to_destroy_problem(down, [0]))


def test_an_emptied_host_is_safe_to_destroy() -> None:
    answer = SafeToDestroy.model_validate(captured("host_out", "osd_safe_to_destroy"))
    assert safe_to_destroy_problem(answer, [4, 5]) is None
    assert safe_to_destroy_problem(answer, [5]) is None


def test_an_osd_ceph_did_not_mention_is_not_safe() -> None:
    answer = SafeToDestroy(safe_to_destroy=(4,))
    assert safe_to_destroy_problem(answer, [4, 5]) == (
        "not safe to destroy osd.5: osd.5 not listed as safe")
