"""`cephmaint confirm REFERENCE [--evidence serial=XYZ ...] [--by NAME] [--host HOST]`.

A technician (or the operator on their behalf) confirms an intervention; the workflow's
wait_for_technician gate reads the confirmation from the ledger on its next look and checks
its evidence against what the host reports. A later confirmation replaces an earlier one.
Only a maintenance whose technician step is waiting takes one: a mistyped reference, or a
confirmation given too early, would otherwise be recorded and never read.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

import click

from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key, parse_evidence
from ceph_tasks.names import TaskName
from ceph_tasks.reference import check_reference
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from dyrygent.states import NodeState
from workflows.audit import operator_action
from workflows.errors import ControlRefused


@command("confirm")
@click.argument("reference")
@click.option("--evidence", multiple=True, metavar="serial=SERIAL",
              help="The serial number of a disk put in; repeat for several disks.")
@click.option("--by", default=None, help="Who did the work (default: this user).")
@click.option("--host", default=None,
              help="Confirm for one host of the maintenance (default: all its hosts).")
@shared_options
@pass_session
def confirm_command(session: Session, reference: str, evidence: tuple[str, ...],
                    by: str | None, host: str | None) -> int:
    """Confirm a technician's intervention: opens the workflow's wait for a technician.

    \b
    Example:
      cephmaint confirm disk.node2-osd5.1a2b3c4d --evidence serial=ZL2ABC12 --by alice
    """
    check_reference(reference)
    serials = parse_evidence(evidence)
    who = (by if by is not None else getpass.getuser()).strip()
    if not who:
        raise UsageError("--by must name someone")
    handle = session.handle(reference)
    waiting = [s for s in _technician_steps(session.plan(reference))
               if host is None or s["kwargs"].get("host") == host]
    if not waiting:
        scope = f" for host {host}" if host else ""
        raise ControlRefused(f"maintenance {reference} has no technician step{scope}: "
                             "there is nothing to confirm")
    states = {s["id"]: handle.node(s["id"])["state"] for s in waiting}
    if NodeState.RUNNING not in states.values():
        shown = ", ".join(f"{step} is {state.lower()}" for step, state in states.items())
        raise ControlRefused(f"maintenance {reference} is not waiting for a technician "
                             f"({shown}); confirm once its message went out")
    confirmation = Confirmation(by=who, at=datetime.now(UTC), serials=serials)
    with operator_action(session.app, "confirm", reference, who=who,
                         details={"host": host, "serials": list(serials)}):
        session.ledger.note(reference, confirmation_key(host), confirmation.to_json())
    scope = f" on host {host}" if host else ""
    click.echo(f"{reference}{scope}: {confirmation.describe()} recorded")
    return 0


def _technician_steps(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in plan.get("steps", []) if s["task"] == TaskName.WAIT_FOR_TECHNICIAN]


COMMANDS = (confirm_command,)
