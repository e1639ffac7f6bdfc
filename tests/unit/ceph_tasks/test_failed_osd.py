"""A failed disk: which OSDs count as failed, and what their failure may raise at a start."""

from __future__ import annotations

from typing import Any

from ceph_tasks.ceph.models import OsdTree, Status
from ceph_tasks.decisions.failed_osd import failed_osd_problem
from ceph_tasks.decisions.preconditions import start_problems
from tests.unit.ceph_tasks.crush_maps import captured


def status(state: str, **changes: Any) -> Status:
    data = captured(state, "status")
    for key, value in changes.items():
        section, field = key.split("__")
        data[section] = {**data[section], field: value}
    return Status.model_validate(data)


def tree(state: str) -> OsdTree:
    return OsdTree.model_validate(captured(state, "osd_tree"))


def test_a_down_osd_is_a_failed_disk_whatever_it_held() -> None:
    # osd.0 is down in the capture: its PGs are what Ceph recovers from the other copies.
    assert failed_osd_problem(tree("osd_down"), 0, pgs_held=12) is None


def test_an_up_osd_holding_pgs_is_refused_as_not_failed() -> None:
    problem = failed_osd_problem(tree("osd_down"), 4, pgs_held=9)
    assert problem is not None
    assert problem.startswith("osd.4 is up and holds 9 PGs") and "leave out --failed" in problem


def test_an_up_osd_holding_nothing_may_be_replaced_as_failed() -> None:
    assert failed_osd_problem(tree("osd_down"), 4, pgs_held=0) is None


def test_an_osd_missing_from_the_map_is_named() -> None:
    assert failed_osd_problem(tree("osd_down"), 42, pgs_held=0) == "osd.42 is not in the osdmap"


def test_the_failed_osds_own_down_state_and_degraded_copies_do_not_stop_its_replacement() -> None:
    assert start_problems(status("osd_down")) != ()
    assert start_problems(status("osd_down"), failed=1) == ()


def test_more_osds_down_than_failed_ones_stop_the_replacement() -> None:
    down = captured("osd_down", "status")
    down["health"]["checks"]["OSD_DOWN"]["summary"] = {"message": "2 osds down", "count": 2}
    problems = start_problems(Status.model_validate(down), failed=1)
    assert problems == ("OSD_DOWN: 2 osds down",)


def test_inactive_pgs_and_unfound_objects_stop_a_failed_disk_replacement() -> None:
    broken = status("osd_down", pgmap__pgs_by_state=[
        {"state_name": "active+clean", "count": 30},
        {"state_name": "undersized+degraded+peered", "count": 3}], pgmap__unfound_objects=2)
    assert start_problems(broken, failed=1) == ("3 of 33 PGs not active", "2 objects unfound")
