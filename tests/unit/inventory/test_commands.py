"""Argv command templates: placeholder validation at load time and rendering."""

from __future__ import annotations

from typing import Any

import pytest

from inventory import (
    CommandsControl,
    CommandTemplateError,
    InventoryValidationError,
    parse_inventory,
    render_command,
)
from tests.unit.inventory.builders import cluster_data, dump

SANDBOX_STOP = [
    "/srv/cephmaint/.venv/bin/python",
    "-m",
    "cephmaint.sandbox.hostctl",
    "--root",
    "/tmp/x",
    "--host",
    "node2",
    "stop-osd",
    "{osd_id}",
]


def control(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "commands",
        "start_osd": ["/bin/osdctl", "start", "{osd_id}"],
        "stop_osd": SANDBOX_STOP,
        "create_osd": ["/bin/osdctl", "create", "--device={device}", "{osd_id}"],
    }
    return {**base, **overrides}


def load_with(daemon_control: dict[str, Any]) -> Any:
    data = cluster_data()
    data["hosts"][0]["daemon_control"] = daemon_control
    return parse_inventory(dump({"clusters": [data]}), env={}).clusters[0].host("node0")


def problem_for(daemon_control: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InventoryValidationError) as caught:
        load_with(daemon_control)
    (problem,) = caught.value.problems
    return problem.key_path, problem.message


def test_commands_control_keeps_argv_lists() -> None:
    host = load_with(control())
    assert isinstance(host.daemon_control, CommandsControl)
    assert host.daemon_control.stop_osd == tuple(SANDBOX_STOP)
    assert host.daemon_control.zap_device is None


@pytest.mark.parametrize(
    ("field", "template", "unknown"),
    [
        ("stop_osd", ["/bin/osdctl", "{host}"], "host"),
        ("start_osd", ["/bin/osdctl", "{device}"], "device"),
        ("create_osd", ["/bin/osdctl", "--x={osd}"], "osd"),
        ("zap_device", ["/bin/zap", "{osd_id}"], "osd_id"),
        ("stop_osd", ["/bin/osdctl", "{0}"], "0"),
        ("stop_osd", ["/bin/osdctl", "{osd_id.real}"], "osd_id.real"),
    ],
)
def test_unknown_placeholder_is_rejected_naming_the_template(
    field: str, template: list[str], unknown: str
) -> None:
    path, message = problem_for(control(**{field: template}))
    assert path == f"clusters[0].hosts[0].daemon_control.{field}"
    assert f"unknown placeholder(s) {unknown}" in message


@pytest.mark.parametrize(
    "word", ["{}", "{osd_id!r}", "{osd_id:>5}", "{osd_id", "osd_id}", "{ osd_id }"]
)
def test_malformed_placeholder_is_rejected(word: str) -> None:
    path, _ = problem_for(control(stop_osd=["/bin/osdctl", word]))
    assert path == "clusters[0].hosts[0].daemon_control.stop_osd"


def test_shell_string_instead_of_argv_list_is_rejected() -> None:
    path, message = problem_for(control(stop_osd="systemctl stop ceph-osd@{osd_id}"))
    assert path == "clusters[0].hosts[0].daemon_control.stop_osd"
    assert "list of argv words" in message


def test_empty_template_is_rejected() -> None:
    path, message = problem_for(control(start_osd=[]))
    assert path == "clusters[0].hosts[0].daemon_control.start_osd"
    assert "program" in message


def test_program_word_must_be_fixed() -> None:
    _, message = problem_for(control(start_osd=["{osd_id}", "start"]))
    assert "first word" in message


def test_missing_required_template_is_rejected() -> None:
    bad = control()
    del bad["create_osd"]
    path, message = problem_for(bad)
    assert path == "clusters[0].hosts[0].daemon_control.create_osd"
    assert "missing" in message


def test_escaped_braces_are_literal() -> None:
    host = load_with(control(stop_osd=["/bin/x", "{{literal}}", "{osd_id}"]))
    assert render_command(host.daemon_control.stop_osd, osd_id=3) == ("/bin/x", "{literal}", "3")


def test_rendering_keeps_each_value_in_one_argv_word() -> None:
    argv = render_command(
        ["/bin/osdctl", "create", "--device={device}", "{osd_id}"],
        osd_id=7,
        device="/dev/sdb; rm -rf /",
    )
    assert argv == ("/bin/osdctl", "create", "--device=/dev/sdb; rm -rf /", "7")


def test_rendering_without_a_needed_value_fails_clearly() -> None:
    with pytest.raises(CommandTemplateError, match="needs a value for device"):
        render_command(["/bin/zap", "{device}"], osd_id=1)
