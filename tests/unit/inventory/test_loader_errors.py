"""Bad inventory sources give one clear error naming file, key path, line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory import (
    InventoryError,
    InventoryLoadError,
    InventorySyntaxError,
    InventoryValidationError,
    load_inventory,
    parse_inventory,
)
from tests.unit.inventory.builders import SMALL


def load_text(tmp_path: Path, text: str) -> None:
    file = tmp_path / "fleet.yaml"
    file.write_text(text)
    load_inventory(file, env={})


def only_problem(error: InventoryLoadError) -> tuple[str, str, int | None, str]:
    assert len(error.problems) == 1, error.problems
    p = error.problems[0]
    return Path(p.file).name, p.key_path, p.line, p.message


def test_small_inventory_is_valid() -> None:
    assert parse_inventory(SMALL, env={}).cluster("lab").host("node0").ssh.port == 2222


def test_unknown_key_is_rejected_with_file_key_path_and_line(tmp_path: Path) -> None:
    text = SMALL.replace("          port: 2222\n", "          port: 2222\n          prot: 22\n")
    with pytest.raises(InventoryValidationError) as caught:
        load_text(tmp_path, text)
    assert only_problem(caught.value) == (
        "fleet.yaml",
        "clusters[0].hosts[0].ssh.prot",
        13,
        "unknown key 'prot'",
    )
    assert str(caught.value).endswith(
        "fleet.yaml:13: clusters[0].hosts[0].ssh.prot: unknown key 'prot'"
    )


def test_wrong_type_names_key_path_and_line(tmp_path: Path) -> None:
    with pytest.raises(InventoryValidationError) as caught:
        load_text(tmp_path, SMALL.replace("port: 2222", "port: twenty-two"))
    name, path, line, message = only_problem(caught.value)
    assert (name, path, line) == ("fleet.yaml", "clusters[0].hosts[0].ssh.port", 12)
    assert "integer" in message


def test_out_of_range_port_is_rejected() -> None:
    with pytest.raises(InventoryValidationError, match=r"hosts\[0\]\.ssh\.port.*65535"):
        parse_inventory(SMALL.replace("port: 2222", "port: 70000"), env={})


def test_missing_key_points_at_its_parent() -> None:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(SMALL.replace("        rack: A1\n", ""), source="x.yaml", env={})
    assert only_problem(caught.value) == (
        "x.yaml",
        "clusters[0].hosts[0].rack",
        6,
        "required key 'rack' is missing",
    )


def test_several_problems_are_all_reported() -> None:
    text = SMALL.replace("port: 2222", "port: nope").replace("room: r1", "room: ''")
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(text, env={})
    assert {p.key_path for p in caught.value.problems} == {
        "clusters[0].hosts[0].ssh.port",
        "clusters[0].hosts[0].room",
    }
    assert str(caught.value).startswith("2 problems in the inventory:")


def test_unknown_daemon_control_kind_lists_the_valid_kinds() -> None:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(SMALL.replace("kind: systemd", "kind: upstart"), env={})
    _, path, line, message = only_problem(caught.value)
    assert (path, line) == ("clusters[0].hosts[0].daemon_control.kind", 14)
    assert "'systemd', 'cephadm', 'commands'" in message
    assert "DaemonControlKind" not in message


def test_error_inside_a_discriminated_union_has_no_tag_in_its_path() -> None:
    text = SMALL.replace(
        "          kind: systemd\n",
        "          kind: commands\n"
        "          start_osd: [/bin/x, '{osd_id}']\n"
        "          stop_osd: [/bin/x, '{osd_id}']\n"
        "          create_osd: [/bin/x, {a: 1}]\n",
    )
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(text, env={})
    _, path, line, _ = only_problem(caught.value)
    assert (path, line) == ("clusters[0].hosts[0].daemon_control.create_osd[1]", 17)


def test_yaml_syntax_error_names_file_and_line() -> None:
    with pytest.raises(InventorySyntaxError) as caught:
        parse_inventory("clusters:\n  - name: [unclosed\n", source="bad.yaml", env={})
    name, _, line, message = only_problem(caught.value)
    assert name == "bad.yaml"
    assert line is not None
    assert message.startswith("invalid YAML")


def test_duplicate_key_is_rejected_instead_of_silently_overwritten() -> None:
    text = SMALL.replace("        rack: A1\n", "        rack: A1\n        rack: B2\n")
    with pytest.raises(InventorySyntaxError) as caught:
        parse_inventory(text, source="f.yaml", env={})
    assert only_problem(caught.value) == (
        "f.yaml",
        "clusters[0].hosts[0].rack",
        10,
        "duplicate key 'rack' (first defined on line 9)",
    )


@pytest.mark.parametrize(
    "payload",
    [
        "!!python/object/apply:os.system ['reboot']",
        "!!python/name:os.system",
        "!custom value",
    ],
)
def test_python_and_custom_tags_are_refused(payload: str) -> None:
    text = SMALL.replace("rack: A1", f"rack: {payload}")
    with pytest.raises(InventorySyntaxError) as caught:
        parse_inventory(text, env={})
    _, path, line, message = only_problem(caught.value)
    assert (path, line) == ("clusters[0].hosts[0].rack", 9)
    assert "unsupported YAML" in message


def test_tagged_mapping_is_refused() -> None:
    text = "clusters: !!python/object:os.system {}\n"
    with pytest.raises(InventorySyntaxError, match="unsupported YAML tag"):
        parse_inventory(text, env={})


def test_merge_keys_are_refused() -> None:
    text = "base: &b {x: 1}\nclusters:\n  - <<: *b\n"
    with pytest.raises(InventorySyntaxError, match="merge keys"):
        parse_inventory(text, env={})


def test_anchors_and_aliases_are_followed() -> None:
    text = SMALL.replace("        ssh:\n", "        ssh: &ssh\n")
    assert parse_inventory(text, env={}).clusters[0].hosts[0].ssh.port == 2222


def test_empty_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InventorySyntaxError, match=r"fleet\.yaml: the file is empty"):
        load_text(tmp_path, "# nothing here\n")


def test_two_documents_in_one_file_are_refused() -> None:
    with pytest.raises(InventorySyntaxError, match="single document"):
        parse_inventory("clusters: []\n---\nclusters: []\n", env={})


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(InventoryValidationError, match="should be a mapping"):
        parse_inventory("- a\n- b\n", env={})


def test_mapping_where_a_list_belongs_is_explained_in_yaml_words() -> None:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(SMALL.replace("    hosts:\n", "    hosts: {a: 1}\n    x:\n"), env={})
    assert str(caught.value.problems[0]) == "<string>:5: clusters[0].hosts: Input should be a list"


@pytest.mark.parametrize("value", ["true", "'2222'", "2222.0"])
def test_port_must_be_a_real_integer(value: str) -> None:
    with pytest.raises(
        InventoryValidationError, match=r"ssh\.port: Input should be a valid integer"
    ):
        parse_inventory(SMALL.replace("port: 2222", f"port: {value}"), env={})


def test_host_key_opt_in_must_be_a_real_boolean() -> None:
    text = SMALL.replace("port: 2222", "port: 2222\n          accept_unknown_host_keys: 'no'")
    with pytest.raises(InventoryValidationError, match="accept_unknown_host_keys"):
        parse_inventory(text, env={})


def test_missing_daemon_control_kind_is_named() -> None:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(SMALL.replace("kind: systemd", "kindd: systemd"), env={})
    assert str(caught.value) == (
        "<string>:13: clusters[0].hosts[0].daemon_control.kind: required key 'kind' is missing"
    )


def test_unknown_top_level_key_is_rejected() -> None:
    with pytest.raises(InventoryValidationError, match="unknown key 'hosts'"):
        parse_inventory("clusters: []\nhosts: []\n", env={})


def test_unreadable_path_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryLoadError, match="cannot read"):
        load_inventory(tmp_path / "missing.yaml", env={})


def test_every_load_error_is_an_inventory_error() -> None:
    with pytest.raises(InventoryError):
        parse_inventory("clusters: {", env={})


def test_times_are_read_as_text_not_base_60_numbers() -> None:
    text = SMALL.replace(
        "    hosts:\n",
        "    maintenance_windows:\n      - {days: [sat], start: 22:00, end: 23:30}\n    hosts:\n",
    )
    window = parse_inventory(text, env={}).clusters[0].maintenance_windows[0]
    assert (window.start.hour, window.start.minute) == (22, 0)
    assert (window.end.hour, window.end.minute) == (23, 30)


def test_model_objects_are_frozen() -> None:
    host = parse_inventory(SMALL, env={}).clusters[0].hosts[0]
    with pytest.raises(ValueError, match="frozen"):
        host.name = "other"


def test_recursive_alias_is_rejected() -> None:
    with pytest.raises(InventorySyntaxError, match="recursive YAML alias"):
        parse_inventory("clusters: &a [*a]\n", env={})


def test_alias_bomb_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("inventory.yamltree.MAX_VALUES", 10_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(InventorySyntaxError, match="after expanding aliases"):
        parse_inventory("\n".join(lines) + "\nclusters: []\n", env={})
