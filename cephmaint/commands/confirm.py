"""`cephmaint confirm REFERENCE [--evidence serial=XYZ ...] [--by NAME] [--host HOST]`.

A technician (or the operator on their behalf) confirms an intervention; the workflow's
wait_for_technician gate reads the confirmation from the ledger on its next look and checks
its evidence against what the host reports. A later confirmation replaces an earlier one.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from typing import Any

from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key, parse_evidence
from ceph_tasks.errors import LedgerError
from ceph_tasks.http import strip_credentials
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.reference import check_reference
from ceph_tasks.settings import Settings


def register(sub: Any) -> None:
    """Add the confirm subcommand to the top-level parser."""
    parser = sub.add_parser("confirm", help="confirm a technician's intervention (opens the "
                                            "workflow's wait for a technician)")
    parser.add_argument("reference", help="the maintenance reference quoted in the message")
    parser.add_argument("--evidence", action="append", default=[], metavar="serial=SERIAL",
                        help="the serial number of a disk put in; repeat for several disks")
    parser.add_argument("--by", default=None, help="who did the work (default: this user)")
    parser.add_argument("--host", default=None,
                        help="confirm for one host of the maintenance (default: all its hosts)")
    parser.add_argument("--redis-url", default=None,
                        help="the ledger's Redis (default: $CEPHMAINT_REDIS_URL, else the "
                             "broker's, else redis://127.0.0.1:6379/0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Record the confirmation; 0 when recorded, 1 when it cannot be, 2 on bad arguments."""
    try:
        reference = check_reference(args.reference)
        serials = parse_evidence(args.evidence)
        by = (args.by or getpass.getuser()).strip()
        if not by:
            raise ValueError("--by must name someone")
    except ValueError as e:
        print(f"cephmaint confirm: {e}", file=sys.stderr)
        return 2
    url = args.redis_url or Settings.from_env(os.environ).redis_url
    confirmation = Confirmation(by=by, at=datetime.now(UTC), serials=serials)
    try:
        ledger = RedisLedger.from_url(url)
        # A mistyped reference would be recorded and never read: only known ones are taken.
        if not ledger.entries(reference):
            print(f"cephmaint confirm: no maintenance {reference} in the ledger at "
                  f"{strip_credentials(url)}; check the reference in the message",
                  file=sys.stderr)
            return 1
        ledger.note(reference, confirmation_key(args.host), confirmation.to_json())
    except (LedgerError, ValueError) as e:
        print(f"cephmaint confirm: {e}", file=sys.stderr)
        return 1
    scope = f" on host {args.host}" if args.host else ""
    print(f"{reference}{scope}: {confirmation.describe()} recorded")
    return 0
