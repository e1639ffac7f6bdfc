"""`cephmaint demo`, the README's main job, replaces node2 end to end and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.worker import ROOT

pytestmark = pytest.mark.integration


def test_the_demo_replaces_node2_shows_progress_and_ends_with_every_object_intact(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cephmaint.cli", "demo", "--home", str(tmp_path), "--down"],
        cwd=ROOT, env={**os.environ}, capture_output=True, text=True, timeout=900, check=False)
    out = done.stdout
    assert done.returncode == 0, f"{out[-3000:]}\n{done.stderr[-3000:]}"
    assert "replace on cluster demo" in out
    assert "success  drain node2 (osd.4, osd.5) in steps" in out
    assert "the demo does it for you" in out
    assert "SUCCESS" in out and "all 400 objects intact" in out
    assert "health HEALTH_OK" in out
    assert "spare-3.dc1: osd.4, osd.5, osd.6" in out
    assert not (tmp_path / "demo").exists()
