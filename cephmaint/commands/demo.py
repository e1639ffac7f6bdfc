"""`cephmaint demo`: replace node2 by the spare on a fresh sandbox, end to end, and prove it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ceph_tasks.app import make_app
from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key
from ceph_tasks.errors import CephTaskError
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from cephmaint.sandbox.errors import SandboxError
from cephmaint.sandbox.layout import SPARE_HOST
from cephmaint.sandbox.sandbox import Sandbox
from dyrygent.errors import DyrygentError
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from inventory import load_inventory
from workflows.builders import Timing
from workflows.errors import WorkflowsError
from workflows.live import Kind, plan_maintenance, submit
from workflows.plan import MaintenancePlan
from workflows.progress import progress_bar

#: The demo waits at most this long for the whole replacement.
DEMO_TIMEOUT = 900.0
#: Short waits: the sandbox moves a few MB in seconds.
DEMO_TIMING = Timing(drain=600, healthy=300, health_interval=2, technician=600,
                     technician_interval=2, downtime=3600)


def register(sub: Any) -> None:
    """Add the demo subcommand."""
    parser = sub.add_parser("demo", help=f"replace node2 by {SPARE_HOST} on a fresh sandbox, "
                                         "end to end")
    parser.add_argument("--name", default="demo", help="the sandbox's name (default: demo)")
    parser.add_argument("--home", type=Path, default=None, help="folder holding sandboxes")
    parser.add_argument("--down", action="store_true", help="remove the sandbox at the end")
    parser.set_defaults(func=run)


def say(text: str) -> None:
    """A headline of the demo."""
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 when the replacement completed and every object is intact."""
    box = Sandbox.named(args.name, args.home)
    started = time.monotonic()
    try:
        if box.exists:
            say(f"Removing the previous demo sandbox at {box.root}")
            box.down()
        say("Bringing up a fresh sandbox: 1 mon, 1 mgr, node0-2 with 2 OSDs each, "
            f"spare {SPARE_HOST}")
        print(box.up(timeout=180).render(), flush=True)
        layout = box.layout()
        settings = Settings(broker_url=layout.redis_url, redis_url=layout.redis_url,
                            inventory_path=layout.inventory_path)
        with _worker(settings, layout.root / "demo-worker.log"):
            ok = _replace(settings)
        say("Checking every object of the data pool against its recorded checksum")
        print(f"all {box.verify()} objects intact", flush=True)
        _summary(box, settings)
        print(f"\ndemo finished in {time.monotonic() - started:.0f} s", flush=True)
        if args.down:
            box.down()
        else:
            print(f"the sandbox stays up: cephmaint sandbox --name {args.name} status | down")
        return 0 if ok else 1
    except (SandboxError, CephTaskError, WorkflowsError, DyrygentError) as e:
        print(f"cephmaint demo: {e}", file=sys.stderr)
        return 1


@contextmanager
def _worker(settings: Settings, log: Path) -> Iterator[None]:
    say(f"Starting a Celery worker with every task and the workflow processor (log {log})")
    env = {**os.environ, "CEPHMAINT_BROKER_URL": settings.broker_url,
           "CEPHMAINT_REDIS_URL": settings.redis_url,
           "CEPHMAINT_INVENTORY": str(settings.inventory_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workflows.app:app", "worker", "-c", "2",
         "-n", "demo@%h", "--without-gossip", "--without-mingle", "-l", "info",
         "--logfile", str(log)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SandboxError(f"the demo worker did not start; see {log}")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _replace(settings: Settings) -> bool:
    app = make_app(settings, name="cephmaint-demo")
    inventory = load_inventory(settings.inventory_path or "")
    say(f"Planning: replace node2, with {SPARE_HOST} as the new hardware (nothing changes yet)")
    plan = plan_maintenance(Kind.REPLACE, "node2", inventory=inventory, new_host=SPARE_HOST,
                            timing=DEMO_TIMING)
    print(plan.render(), flush=True)
    say(f"Running workflow {plan.reference}")
    handle = submit(plan, app)
    return _follow(handle, plan, RedisLedger.from_url(settings.redis_url))


def _follow(handle: WorkflowHandle, plan: MaintenancePlan, ledger: RedisLedger) -> bool:
    titles = {s.id: s.title for s in plan.steps}
    seen: dict[str, str] = {}
    deadline = time.monotonic() + DEMO_TIMEOUT
    confirmed = False
    while True:
        status = handle.status()
        for step in plan.steps:
            state = handle.node(step.id)["state"]
            if seen.get(step.id) != state and state in ("RUNNING", "SUCCESS", "FAILURE"):
                seen[step.id] = state
                done = status.counts.get(NodeState.SUCCESS, 0)
                print(f"{progress_bar(done, status.total, 20)}  {state.lower():<8} "
                      f"{titles[step.id]}", flush=True)
            if (step.task == "cephmaint.wait_for_technician" and state == "RUNNING"
                    and not confirmed):
                confirmed = True
                _confirm(ledger, plan.reference, step.kwargs["host"])
        if status.state.finished:
            break
        if time.monotonic() > deadline:
            print(f"still {status.state} after {DEMO_TIMEOUT:.0f} s: giving up", flush=True)
            return False
        time.sleep(1)
    print(f"workflow {handle.id}: {status.state}", flush=True)
    for node, error in status.failed.items():
        print(f"  {node}: {error.get('type')}: {error.get('message')}", flush=True)
    return status.state == WorkflowState.SUCCESS


def _confirm(ledger: RedisLedger, reference: str, host: str) -> None:
    print(f"   (a technician confirms the hardware swap: cephmaint confirm {reference}; "
          "the demo does it for you)", flush=True)
    confirmation = Confirmation(by="demo-technician", at=datetime.now(UTC))
    ledger.note(reference, confirmation_key(None), confirmation.to_json())


def _summary(box: Sandbox, settings: Settings) -> None:
    say("The cluster now")
    report = box.status()
    print(f"health {report.health}; OSDs {report.osds_up} up, {report.osds_in} in; "
          f"PGs {', '.join(f'{n} {s}' for s, n in report.pgs.items())}")
    inventory = load_inventory(settings.inventory_path or "")
    cluster = inventory.cluster(box.layout().name)
    client = RadosClient.for_cluster(cluster)
    try:
        ceph = Ceph(client)
        tree, df = ceph.osd_tree(), ceph.osd_df()
    finally:
        client.close()
    for host, osds in sorted(tree.hosts().items()):
        pgs = sum(u.pgs for u in df.nodes if u.id in osds)
        print(f"  {host}: {', '.join(f'osd.{i}' for i in sorted(osds))}  ({pgs} PGs)")
