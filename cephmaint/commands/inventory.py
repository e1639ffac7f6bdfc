"""`cephmaint inventory check`: validate an inventory and compare it with live clusters."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.cli_client import CliClient
from ceph_tasks.ceph.client import CephClient
from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.errors import CephBindingsMissing, CephTaskError
from inventory import Cluster, Inventory, InventoryError, compare_layout, load_inventory

#: Exit codes: the layouts agree, they differ, or the check could not be made.
MATCH, DIFFERENT, FAILED = 0, 1, 2
DEFAULT_INVENTORY = "/etc/cephmaint/inventory"


def register(sub: Any) -> None:
    """Add the inventory subcommand to the top-level parser."""
    parser = sub.add_parser("inventory", help="check an inventory against live clusters")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate the inventory, connect, and compare it with the live CRUSH layout",
        description="Exit status: 0 when every checked cluster matches its inventory, 1 when "
                    "some differ, 2 when the inventory is invalid or a cluster unreachable.",
    )
    check.add_argument(
        "--inventory", type=Path, default=None,
        help="inventory file or folder (default: $CEPHMAINT_INVENTORY or "
             f"{DEFAULT_INVENTORY})")
    check.add_argument("--cluster", default=None,
                       help="check only this cluster (default: every cluster)")
    check.add_argument("--via", choices=("librados", "cli"), default="librados",
                       help="talk to Ceph through librados (default) or the ceph CLI")
    check.add_argument("--connect-timeout", type=float, default=10,
                       help="seconds to wait for a monitor (default: 10)")
    check.add_argument("--command-timeout", type=float, default=30,
                       help="seconds to wait for each command (default: 30)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Check one or every cluster of the inventory; return the exit code."""
    path = args.inventory or Path(os.environ.get("CEPHMAINT_INVENTORY", DEFAULT_INVENTORY))
    try:
        inventory = load_inventory(path)
        clusters = _selected(inventory, args.cluster)
    except InventoryError as e:
        _fail(f"invalid inventory {path}:\n{e}")
        return FAILED
    worst = MATCH
    for cluster in clusters:
        worst = max(worst, _check_cluster(cluster, args))
    return worst


def _selected(inventory: Inventory, name: str | None) -> tuple[Cluster, ...]:
    if name is not None:
        return (inventory.cluster(name),)
    return inventory.clusters


def _check_cluster(cluster: Cluster, args: argparse.Namespace) -> int:
    try:
        client = _connect(cluster, args)
        try:
            live = Ceph(client).crush_layout()
        finally:
            client.close()
    except CephBindingsMissing as e:
        _fail(f"cluster {cluster.name}: {e}; or use --via cli")
        return FAILED
    except CephTaskError as e:
        _fail(f"cluster {cluster.name}: {e}")
        return FAILED
    report = compare_layout(cluster, live)
    print(report.render())
    return MATCH if report.ok else DIFFERENT


def _connect(cluster: Cluster, args: argparse.Namespace) -> CephClient:
    if args.via == "cli":
        return CliClient.for_cluster(cluster, connect_timeout=args.connect_timeout,
                                     command_timeout=args.command_timeout)
    return RadosClient.for_cluster(cluster, connect_timeout=args.connect_timeout,
                                   command_timeout=args.command_timeout)


def _fail(message: str) -> None:
    print(f"cephmaint inventory check: {message}", file=sys.stderr)
