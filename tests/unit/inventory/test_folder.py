"""Loading a folder of YAML files, one per cluster or more."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory import (
    DuplicateDefinitionError,
    InventoryLoadError,
    InventoryValidationError,
    load_inventory,
)
from tests.unit.inventory.builders import cluster_data, dump


def write(folder: Path, name: str, *clusters: str) -> Path:
    file = folder / name
    file.write_text(dump({"clusters": [cluster_data(c) for c in clusters]}))
    return file


def test_folder_files_are_merged_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", "beta")
    write(tmp_path, "a.yaml", "alpha", "gamma")
    fleet = load_inventory(tmp_path, env={})
    assert [c.name for c in fleet.clusters] == ["alpha", "gamma", "beta"]


def test_other_files_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "alpha")
    (tmp_path / "README.md").write_text("not yaml: [")
    (tmp_path / ".a.yaml.swp").write_text("garbage: [")
    (tmp_path / ".hidden.yaml").write_text("garbage: [")
    assert [c.name for c in load_inventory(tmp_path, env={}).clusters] == ["alpha"]


def test_cluster_defined_in_two_files_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", "alpha")
    write(tmp_path, "two.yaml", "beta", "alpha")
    with pytest.raises(DuplicateDefinitionError) as caught:
        load_inventory(tmp_path, env={})
    (problem,) = caught.value.problems
    assert problem.file == str(tmp_path / "two.yaml")
    assert problem.key_path == "clusters[1].name"
    assert problem.line is not None
    assert str(tmp_path / "one.yaml") in problem.message
    assert "line 2, clusters[0].name" in problem.message


def test_error_in_one_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "alpha")
    (tmp_path / "b.yaml").write_text("clusters:\n  - name: beta\n    colour: red\n")
    with pytest.raises(InventoryValidationError) as caught:
        load_inventory(tmp_path, env={})
    assert any(
        p.file == str(tmp_path / "b.yaml") and p.key_path == "clusters[0].colour" and p.line == 3
        for p in caught.value.problems
    )


def test_folder_without_yaml_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryLoadError, match=r"no \*\.yaml or \*\.yml file"):
        load_inventory(tmp_path, env={})


def test_folder_with_one_file_equals_that_file(tmp_path: Path) -> None:
    file = write(tmp_path, "only.yaml", "alpha")
    assert load_inventory(tmp_path, env={}) == load_inventory(file, env={})


def test_problems_of_several_bad_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("clusters: [\n")
    (tmp_path / "b.yaml").write_text("clusters:\n  - name: beta\n    colour: red\n")
    write(tmp_path, "c.yaml", "gamma")
    with pytest.raises(InventoryLoadError) as caught:
        load_inventory(tmp_path, env={})
    files = [Path(p.file).name for p in caught.value.problems]
    assert "a.yaml" in files and "b.yaml" in files
    assert "c.yaml" not in files
