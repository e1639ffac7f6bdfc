"""`cephmaint sandbox up | status | verify | down`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from cephmaint.sandbox.errors import SandboxError
from cephmaint.sandbox.sandbox import Sandbox


def register(sub: Any) -> None:
    """Add the sandbox subcommand to the top-level parser."""
    parser = sub.add_parser("sandbox", help="a local throw-away Ceph cluster with SSH hosts")
    parser.add_argument("--name", default="default", help="sandbox name (default: default)")
    parser.add_argument("--home", type=Path, default=None,
                        help="folder holding sandboxes (default: $CEPHMAINT_SANDBOX_HOME "
                             "or /tmp/cephmaint-sandbox)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="create or resume the sandbox; wait for HEALTH_OK")
    up.add_argument("--redis-url", default=None,
                    help="use this Redis instead of starting one")
    up.add_argument("--timeout", type=float, default=180, help="seconds to wait for health")
    actions.add_parser("status", help="health and addresses of the sandbox")
    actions.add_parser("verify", help="check every recorded object is intact")
    actions.add_parser("inventory", help="print the inventory file describing the sandbox")
    actions.add_parser("down", help="stop every process and remove every file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one sandbox action."""
    box = Sandbox.named(args.name, args.home)
    try:
        if args.action == "up":
            print(f"==> bringing sandbox {args.name} up under {box.root}", flush=True)
            started = time.monotonic()
            report = box.up(redis_url=args.redis_url, timeout=args.timeout)
            print(report.render())
            print(f"==> ready in {time.monotonic() - started:.1f} s")
        elif args.action == "status":
            print(box.status().render())
        elif args.action == "verify":
            print(f"all {box.verify()} objects intact")
        elif args.action == "inventory":
            print(box.layout().inventory_path.read_text(), end="")
        elif args.action == "down":
            box.down()
            print(f"sandbox {args.name} is down; {box.root} removed")
    except SandboxError as e:
        print(f"cephmaint sandbox {args.action}: {e}", file=sys.stderr)
        return 1
    return 0
