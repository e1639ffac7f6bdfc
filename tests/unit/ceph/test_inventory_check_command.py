"""`cephmaint inventory check` reports inventory problems plainly, before any connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cephmaint.cli import main


def test_invalid_inventory_exits_two_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("clusters:\n  - name: c1\n    access: {}\n")
    done = subprocess.run(
        [sys.executable, "-m", "cephmaint.cli", "inventory", "check", "--inventory", str(path)],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert str(path) in done.stderr and "access" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_cluster_exits_two_listing_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text("clusters:\n  - name: c1\n    access: {mon_hosts: ['10.0.0.1:6789']}\n")
    assert main(["inventory", "check", "--inventory", str(path), "--cluster", "c2"]) == 2
    assert "no cluster 'c2' in the inventory (clusters: c1)" in capsys.readouterr().err


def test_missing_inventory_file_exits_two(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "check", "--inventory", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml" in capsys.readouterr().err


def test_inventory_path_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CEPHMAINT_INVENTORY", str(tmp_path / "from-env.yaml"))
    assert main(["inventory", "check"]) == 2
    assert "from-env.yaml" in capsys.readouterr().err
