"""`cephmaint plan | run KIND HOST`: read the runbook of a maintenance, then start it."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ceph_tasks.errors import CephTaskError
from ceph_tasks.settings import Settings
from dyrygent.errors import DyrygentError
from inventory import InventoryError, load_inventory
from workflows.errors import WorkflowsError
from workflows.live import Kind, load_settings_inventory, plan_maintenance, submit
from workflows.plan import MaintenancePlan


def register(sub: Any) -> None:
    """Add plan and run to the top-level parser."""
    for name, text in (("plan", "show the runbook of a maintenance; nothing changes"),
                       ("run", "start a maintenance workflow (workers carry it out)")):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("kind", choices=[str(k) for k in Kind])
        parser.add_argument("host", help="the host to decommission, replace or add; for "
                                         "disk, the OSD whose disk is replaced (osd.5)")
        parser.add_argument("--new-host", help="replace: the new hardware's host name")
        parser.add_argument("--cluster", help="the cluster (default: the one holding host)")
        parser.add_argument("--inventory", type=Path,
                            help="inventory file or folder (default: $CEPHMAINT_INVENTORY)")
        if name == "plan":
            parser.add_argument("--json", action="store_true", help="the plan as JSON")
            parser.set_defaults(func=run_plan)
        else:
            parser.add_argument("--follow", "-f", action="store_true",
                                help="show progress until the workflow finishes")
            parser.add_argument("--deadline", type=float, help="seconds the whole may take")
            parser.set_defaults(func=run_run)


def build(args: argparse.Namespace) -> MaintenancePlan:
    """The plan the arguments ask for, with the cluster's state read now."""
    settings = Settings.from_env(os.environ)
    inventory = (load_inventory(args.inventory) if args.inventory
                 else load_settings_inventory(settings))
    return plan_maintenance(Kind(args.kind), args.host, inventory=inventory,
                            cluster_name=args.cluster, new_host=args.new_host)


def run_plan(args: argparse.Namespace) -> int:
    """Print the runbook (text or JSON)."""
    try:
        plan = build(args)
    except (WorkflowsError, InventoryError, CephTaskError) as e:
        print(f"cephmaint plan: {e}", file=sys.stderr)
        return 2
    print(plan.to_json() if args.json else plan.render())
    return 0


def run_run(args: argparse.Namespace) -> int:
    """Submit the workflow; with --follow, show its progress until it ends."""
    from cephmaint.commands.control import show_status

    try:
        plan = build(args)
        print(plan.render(), flush=True)
        handle = submit(plan, deadline=args.deadline)
    except (WorkflowsError, InventoryError, CephTaskError, DyrygentError) as e:
        print(f"cephmaint run: {e}", file=sys.stderr)
        return 2
    print(f"\nstarted workflow {handle.id}; follow it with: cephmaint status -f {handle.id}",
          flush=True)
    if not args.follow:
        return 0
    settings = Settings.from_env(os.environ)
    while True:
        text, finished = show_status(handle, settings)
        print(f"\n{text}", flush=True)
        if finished:
            return 0 if handle.status().state == "SUCCESS" else 1
        time.sleep(2)
