"""`cephmaint extend REFERENCE --minutes N --reason TEXT`: give a host more time down.

A host's work without a drain holds once the host has been down longer than its cluster's
max_down_seconds: its noout stays, the operators are told, and nothing moves until someone
decides. This is the decision to wait longer; it is recorded, with who and why, and the
maintenance's next look at the host counts it.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click

from ceph_tasks.decisions.host_back import EXTENSIONS_KEY
from ceph_tasks.names import TaskName
from ceph_tasks.reference import check_reference
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from dyrygent.states import NodeState
from workflows.errors import ControlRefused


@command("extend")
@click.argument("reference")
@click.option("--minutes", type=click.FloatRange(min=1), required=True,
              help="How much longer the host may stay down.")
@click.option("--reason", required=True, help="Why it needs longer: kept with the maintenance.")
@click.option("--by", default=None, help="Who decides (default: this user).")
@shared_options
@pass_session
def extend_command(session: Session, reference: str, minutes: float, reason: str,
                   by: str | None) -> int:
    """Let a host in a maintenance without drain stay down longer; its noout stays.

    \b
    Example:
      cephmaint extend maintenance.node1.1a2b3c4d --minutes 30 --reason "BIOS update slow"
    """
    check_reference(reference)
    who = (by if by is not None else getpass.getuser()).strip()
    if not who or not reason.strip():
        raise UsageError("--by and --reason must say something")
    handle = session.handle(reference)
    steps = {s["task"]: s["id"] for s in session.plan(reference).get("steps", [])}
    if TaskName.WAIT_HOST_BACK not in steps:
        raise ControlRefused(f"maintenance {reference} takes no host down without a drain: "
                             "there is no time down to extend")
    state = handle.node(steps[TaskName.WAIT_HOST_BACK])["state"]
    if state in (NodeState.SUCCESS, NodeState.FAILURE, NodeState.CANCELLED, NodeState.SKIPPED):
        raise ControlRefused(f"maintenance {reference} no longer waits for its host "
                             f"(the wait is {state.lower()})")
    given = session.ledger.recall(reference, EXTENSIONS_KEY)
    extensions = [*(given if isinstance(given, list) else []),
                  {"seconds": minutes * 60, "by": who, "reason": reason.strip(),
                   "at": datetime.now(UTC).isoformat(timespec="seconds")}]
    session.ledger.note(reference, EXTENSIONS_KEY, extensions)
    total = sum(float(e["seconds"]) for e in extensions)
    click.echo(f"{reference}: {minutes:g} more minutes down recorded for {who} "
               f"({total / 60:g} minutes given in all)")
    return 0


COMMANDS = (extend_command,)
