"""`cephmaint inventory check` against the real sandbox: matches, differences, failures."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from cephmaint.cli import main
from cephmaint.sandbox.sandbox import Sandbox
from inventory import CephAccess, Cluster, Inventory, write_inventory

pytestmark = pytest.mark.integration


def write_copy(path: Path, cluster: Cluster) -> Path:
    """Write an inventory holding only the given (edited) sandbox cluster."""
    write_inventory(Inventory(clusters=(cluster,)), path, reveal_secrets=True)
    return path


@pytest.mark.parametrize("via", ["librados", "cli"])
def test_sandbox_inventory_matches_the_live_cluster(
    sandbox: Sandbox, via: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["inventory", "check", "--inventory", str(sandbox.layout().inventory_path),
                 "--via", via])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "inventory matches the live CRUSH layout" in out


@pytest.mark.parametrize("via", ["librados", "cli"])
def test_moved_and_missing_osds_are_named_and_exit_one(
    sandbox: Sandbox, sandbox_cluster: Cluster, via: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    node1 = sandbox_cluster.host("node1")
    used = {o.device for o in sandbox_cluster.osds_on("node1")}
    free = next(d.path for d in node1.devices if d.path not in used)
    osds = tuple(
        o.model_copy(update={"host": "node1", "device": free}) if o.id == 4 else o
        for o in sandbox_cluster.osds if o.id != 5
    )
    edited = Cluster.model_validate(
        {**sandbox_cluster.model_dump(), "osds": [o.model_dump() for o in osds]})
    path = write_copy(tmp_path / "edited.yaml", edited)
    code = main(["inventory", "check", "--inventory", str(path), "--via", via,
                 "--cluster", sandbox_cluster.name])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "osd.4: live under node2, inventory says node1" in out
    assert "osd.5: live under node2, not in the inventory" in out


def test_unreachable_cluster_exits_three_with_a_message_and_no_traceback(
    sandbox: Sandbox, sandbox_cluster: Cluster, tmp_path: Path
) -> None:
    dead = sandbox_cluster.model_copy(update={"access": CephAccess(
        mon_hosts=(f"{sandbox.layout().subnet}.250:6789",))})
    path = write_copy(tmp_path / "dead.yaml", dead)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cephmaint.cli", "inventory", "check", "--inventory", str(path),
         "--connect-timeout", "2"], capture_output=True, text=True, timeout=60, check=False)
    assert time.monotonic() - started < 15
    assert done.returncode == 3
    assert "no monitor answered within 2 s" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
