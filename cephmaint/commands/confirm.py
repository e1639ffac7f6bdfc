"""`cephmaint confirm REFERENCE [--evidence serial=XYZ ...] [--by NAME] [--host HOST]`.

A technician (or the operator on their behalf) confirms an intervention; the workflow's
wait_for_technician gate reads the confirmation from the ledger on its next look and checks
its evidence against what the host reports. A later confirmation replaces an earlier one.
The checks and the record are workflows.confirming's, which the technicians' page uses too.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click

from ceph_tasks.decisions.technician_gate import parse_evidence
from ceph_tasks.reference import check_reference
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from workflows.confirming import confirm


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

    A step waiting for new disks takes exactly one --evidence per disk put in.

    \b
    Example:
      cephmaint confirm disk.node2-osd5.1a2b3c4d --evidence serial=ZL2ABC12 --by alice
    """
    check_reference(reference)
    serials = parse_evidence(evidence)
    who = (by if by is not None else getpass.getuser()).strip()
    if not who:
        raise UsageError("--by must name someone")
    confirmation = confirm(session.app, session.ledger, reference, serials, who=who,
                           host=host, now=datetime.now(UTC))
    scope = f" on host {host}" if host else ""
    click.echo(f"{reference}{scope}: {confirmation.describe()} recorded")
    return 0


COMMANDS = (confirm_command,)
