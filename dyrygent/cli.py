"""Command line: read a workflow's status, events, plan and graph; control it via an app."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from dyrygent import export
from dyrygent.errors import DyrygentError
from dyrygent.handle import WorkflowHandle
from dyrygent.processor import Engine, Send
from dyrygent.redis_store import RedisStore


class _ReadOnly:
    """Dispatcher for reading commands: any attempt to publish is a usage error."""

    def send(self, messages: Sequence[Send]) -> None:
        raise DyrygentError("this command needs --app to reach the broker")

    def revoke(self, task_ids: Sequence[str]) -> None:
        raise DyrygentError("this command needs --app to reach the broker")

    def schedule_tick(self, workflow_id: str, seq: int, countdown: float) -> None:
        raise DyrygentError("this command needs --app to reach the broker")

    def lookup(self, task_id: str) -> tuple[str, Any] | None:
        return None

    def kick(self, workflow_id: str) -> None:
        raise DyrygentError("this command needs --app to reach the broker")

    def stash(self, task_id: str, state: str, value: Any, tb: str | None = None) -> None:
        raise DyrygentError("this command needs --app to reach the broker")


def _handle(args: argparse.Namespace) -> WorkflowHandle:
    if args.app:
        from dyrygent.tasks import processor_for

        module, _, attr = args.app.partition(":")
        app = getattr(importlib.import_module(module), attr or "app")
        processor = processor_for(app)
        if processor is None:
            raise DyrygentError(f"{args.app} has no workflow processor registered")
        return processor.handle(args.workflow_id)
    if not args.redis:
        raise DyrygentError("give --redis URL (reading) or --app module:attr (control)")
    engine = Engine(RedisStore.from_url(args.redis, args.prefix), _ReadOnly())
    return WorkflowHandle(engine, args.workflow_id)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dyrygent command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dyrygent", description=__doc__)
    parser.add_argument("--redis", help="state store URL (read-only commands)")
    parser.add_argument("--prefix", default="dyrygent", help="key prefix of the state store")
    parser.add_argument("--app", help="Celery app as module:attr, for control commands")
    parser.add_argument("command", choices=["status", "events", "plan", "dot", "mermaid", "json",
                                            "pause", "resume", "cancel", "retry", "skip"])
    parser.add_argument("workflow_id")
    parser.add_argument("node", nargs="?", help="node id for skip")
    args = parser.parse_args(argv)
    try:
        handle = _handle(args)
        out = _run(handle, args)
    except DyrygentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if out is not None:
        print(out)
    return 0


def _run(handle: WorkflowHandle, args: argparse.Namespace) -> str | None:
    command = args.command
    if command == "status":
        return json.dumps(handle.status().to_dict(), indent=2)
    if command == "events":
        return "\n".join(json.dumps(e) for e in handle.events())
    if command == "plan":
        return "\n".join(f"{i}: {' '.join(wave)}" for i, wave in enumerate(handle.plan()))
    if command in ("dot", "mermaid", "json"):
        specs = handle.specs()
        if command == "dot":
            return export.to_dot(specs, handle.workflow_id)
        return export.to_mermaid(specs) if command == "mermaid" else export.to_json(specs)
    if command == "skip":
        if not args.node:
            raise DyrygentError("skip needs a node id")
        handle.skip(args.node)
        return None
    getattr(handle, command)()
    return None
