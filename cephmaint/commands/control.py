"""`cephmaint status | pause | resume | cancel | retry | skip | graph | worker`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from ceph_tasks.errors import CephTaskError
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.base import progress_key
from dyrygent.errors import DyrygentError
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState
from workflows.progress import render_events, render_status


def register(sub: Any) -> None:
    """Add the workflow control subcommands to the top-level parser."""
    status = sub.add_parser("status", help="progress, steps and events of a workflow")
    status.add_argument("workflow_id")
    status.add_argument("--follow", "-f", action="store_true",
                        help="keep showing progress until the workflow finishes")
    status.add_argument("--interval", type=float, default=2.0, help="seconds between updates")
    status.set_defaults(func=run_status)
    for name, text in (("pause", "stop dispatching new steps (running ones finish)"),
                       ("resume", "dispatch again after pause"),
                       ("cancel", "revoke running steps and end the workflow CANCELLED"),
                       ("retry", "re-run the failed steps and go on")):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("workflow_id")
        parser.set_defaults(func=run_control, action=name)
    skip = sub.add_parser("skip", help="skip a pending or failed step")
    skip.add_argument("workflow_id")
    skip.add_argument("step", help="the step id, as `status` shows it")
    skip.set_defaults(func=run_control, action="skip")
    graph = sub.add_parser("graph", help="the graph of a submitted workflow")
    graph.add_argument("workflow_id")
    graph.add_argument("--format", choices=["dot", "mermaid"], default="mermaid")
    graph.set_defaults(func=run_graph)
    worker = sub.add_parser("worker", help="a Celery worker running every task and workflows")
    worker.add_argument("--concurrency", "-c", type=int, default=4)
    worker.add_argument("--loglevel", "-l", default="info")
    worker.add_argument("celery_args", nargs=argparse.REMAINDER,
                        help="more `celery worker` options after --")
    worker.set_defaults(func=run_worker)


def handle_of(workflow_id: str) -> WorkflowHandle:
    """The handle of a workflow, through the app workers run."""
    from workflows.app import app, processor_of

    return processor_of(app).handle(workflow_id)


def show_status(handle: WorkflowHandle, settings: Settings) -> tuple[str, bool]:
    """The rendered status of a workflow, and whether it has finished."""
    status = handle.status()
    ledger = RedisLedger.from_url(settings.redis_url)
    plan = ledger.recall(handle.id, "plan") or {}
    steps = plan.get("steps") or [{"id": s.id, "title": s.id} for s in handle.specs()]
    states = {s["id"]: NodeState(handle.node(s["id"])["state"]) for s in steps}
    progress = _progress(handle, ledger,
                         [s["id"] for s in steps if states[s["id"]] == "RUNNING"])
    titles = {s["id"]: s["title"] for s in steps}
    text = render_status(status, steps, states, progress)
    events = render_events(handle.events()[-8:], titles)
    if events:
        text += "\nrecent events:\n" + "\n".join(f"  {line}" for line in events)
    return text, status.state.finished


def _progress(handle: WorkflowHandle, ledger: RedisLedger, running: list[str]
              ) -> dict[str, dict[str, Any]]:
    from dyrygent.processor import task_id

    found = {}
    store = handle.engine.store
    for node_id in running:
        attempt = handle.node(node_id)["attempt"]
        index = store.index_of(handle.id, node_id)
        # Tasks note their latest progress (weights, PGs moving, what a wait waits for)
        # in the ledger of their reference, which is the workflow id.
        meta = ledger.recall(handle.id, progress_key(task_id(handle.id, index, attempt)))
        if isinstance(meta, dict):
            found[node_id] = meta
    return found


def run_status(args: argparse.Namespace) -> int:
    """Show a workflow's progress; with --follow, until it finishes."""
    settings = Settings.from_env(os.environ)
    try:
        handle = handle_of(args.workflow_id)
        while True:
            text, finished = show_status(handle, settings)
            print(text, flush=True)
            if finished or not args.follow:
                return 0 if handle.status().state != "FAILURE" else 1
            time.sleep(args.interval)
            print()
    except DyrygentError as e:
        print(f"cephmaint status: {e}", file=sys.stderr)
        return 2


def run_control(args: argparse.Namespace) -> int:
    """Pause, resume, cancel, retry or skip a step of a workflow."""
    try:
        handle = handle_of(args.workflow_id)
        if args.action == "skip":
            handle.skip(args.step)
        elif args.action == "retry":
            from workflows.live import retry

            for step in retry(handle):
                print(f"set up again: {step}")
        else:
            getattr(handle, args.action)()
    except (DyrygentError, CephTaskError) as e:
        print(f"cephmaint {args.action}: {e}", file=sys.stderr)
        return 2
    print(f"workflow {args.workflow_id}: {args.action} done; now {handle.status().state}")
    return 0


def run_graph(args: argparse.Namespace) -> int:
    """Print the graph of a submitted workflow."""
    from dyrygent import export

    try:
        specs = handle_of(args.workflow_id).specs()
    except DyrygentError as e:
        print(f"cephmaint graph: {e}", file=sys.stderr)
        return 2
    text = (export.to_dot(specs, args.workflow_id) if args.format == "dot"
            else export.to_mermaid(specs))
    print(text)
    return 0


def run_worker(args: argparse.Namespace) -> int:
    """Replace this process with a Celery worker of the cephmaint app."""
    extra = [a for a in args.celery_args if a != "--"]
    argv = [sys.executable, "-m", "celery", "-A", "workflows.app:app", "worker",
            "-c", str(args.concurrency), "-l", args.loglevel, *extra]
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return
