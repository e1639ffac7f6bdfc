"""A cluster's failure policy: defaults, and bad values named where they are."""

from __future__ import annotations

from typing import Any

import pytest

from inventory import FailingDevices, FailureAction, InventoryValidationError, parse_inventory
from tests.unit.inventory.builders import cluster_data, dump


def load_with(failures: dict[str, Any]) -> Any:
    data = {**cluster_data(), "failures": failures}
    return parse_inventory(dump({"clusters": [data]}), env={}).clusters[0].failures


def problem_for(failures: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InventoryValidationError) as caught:
        load_with(failures)
    (problem,) = caught.value.problems
    return problem.key_path, problem.message


def test_a_cluster_without_a_policy_proposes_after_ceph_s_own_down_out_interval() -> None:
    policy = load_with({})
    assert policy.action is FailureAction.PROPOSE and policy.down_grace_seconds == 600
    assert policy.max_automatic_per_day == 1 and policy.predicted_within_days == 42
    assert policy.failing_devices is FailingDevices.CEPH and policy.locate_on is None


def test_locate_commands_are_argv_templates_of_the_device() -> None:
    policy = load_with({"action": "auto", "locate_on": ["ledctl", "locate={device}"],
                        "locate_off": ["ledctl", "locate_off={device}"]})
    assert policy.locate_on == ("ledctl", "locate={device}")


@pytest.mark.parametrize(("failures", "where", "said"), [
    ({"locate_on": "ledctl locate={device}", "locate_off": ["ledctl", "x"]}, "locate_on",
     "list of argv words"),
    ({"locate_on": ["ledctl", "locate={host}"], "locate_off": ["ledctl", "x"]}, "locate_on",
     "unknown placeholder(s) host"),
    ({"locate_on": ["ledctl", "locate={device}"]}, "locate_off", "go together"),
    ({"action": "sometimes"}, "action", "'propose' or 'auto'"),
    ({"max_automatic_per_day": -1}, "max_automatic_per_day", "greater than or equal to 0"),
    ({"down_grace_seconds": 0}, "down_grace_seconds", "greater than 0"),
])
def test_a_bad_policy_is_named_where_it_is(failures: dict[str, Any], where: str,
                                            said: str) -> None:
    path, message = problem_for(failures)
    assert path == f"clusters[0].failures.{where}"
    assert said in message
