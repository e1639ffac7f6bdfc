"""A topology written by hand, not shipped: up, plan and run through the command line alone.

Four racks, hdd and ssd hosts, an EC pool and a spare: the shape an operator would
describe for their own lab. Nothing in the code knows it; the sandbox, the planner and
the workers take it as they find it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.worker import ROOT, celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.full]

TOPOLOGY = """\
object_size: 12KiB
hosts:
  r1-a: {osds: 2, rack: r1}
  r1-s: {osds: 1, rack: r1, class: ssd, mon: true, mgr: true}
  r2-a: {osds: 2, rack: r2, mon: true}
  r2-s: {osds: 1, rack: r2, class: ssd}
  r3-a: {osds: 2, rack: r3, mon: true}
  r3-s: {osds: 1, rack: r3, class: ssd}
  r4-a: {osds: 1, rack: r4}
  r4-new: {osds: 0, rack: r4, devices: 2}
pools:
  - {name: vms, size: 3, min_size: 2, failure_domain: rack, device_class: hdd, pg_num: 16,
     objects: 120}
  - {name: db, size: 3, min_size: 2, failure_domain: rack, device_class: ssd, pg_num: 8,
     objects: 40}
  - {name: backup, erasure: {k: 2, m: 1}, failure_domain: host, device_class: hdd,
     pg_num: 8, objects: 60}
"""


def cephmaint(*words: str, env: dict[str, str], timeout: float = 600
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cephmaint.cli", *words], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.timeout(900)
def test_a_hand_written_topology_goes_up_plans_and_runs(tmp_path: Path) -> None:
    shape = tmp_path / "lab.yaml"
    shape.write_text(TOPOLOGY)
    env = {"CEPHMAINT_SANDBOX_HOME": str(tmp_path / "home")}
    up = cephmaint("sandbox", "--name", "hand", "up", "--topology", str(shape), env=env)
    try:
        assert up.returncode == 0, up.stderr
        assert "HEALTH_OK" in up.stdout and "osds        10 up, 10 in" in up.stdout
        root = tmp_path / "home" / "hand"
        redis = next(line.split()[-1] for line in up.stdout.splitlines()
                     if line.strip().startswith("redis "))
        env |= {"CEPHMAINT_INVENTORY": str(root / "inventory.yaml"),
                "CEPHMAINT_BROKER_URL": redis, "CEPHMAINT_REDIS_URL": redis}

        plan = cephmaint("plan", "replace", "r1-a", "--new-host", "r4-new", env=env)
        assert plan.returncode == 0, plan.stderr
        assert "pool vms (rule vms-rule, size 3): racks 4 -> 3: ok" in plan.stdout
        # db keeps one ssd copy per rack, and only three racks have ssd OSDs.
        refused = cephmaint("plan", "decommission", "r2-s", env=env)
        assert refused.returncode == 1 and refused.stdout == ""
        assert "refused" in refused.stderr and "pool db" in refused.stderr

        with celery_worker("cephmaint.worker:app", tmp_path / "logs", env):
            run = cephmaint("run", "decommission", "r4-a", "--follow", env=env)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        assert "SUCCESS" in run.stdout
        verified = cephmaint("sandbox", "--name", "hand", "verify", env=env)
        assert verified.returncode == 0 and "all 220 objects intact" in verified.stdout
    finally:
        cephmaint("sandbox", "--name", "hand", "down", env=env)
