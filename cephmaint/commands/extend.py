"""`cephmaint extend | decommission-instead REFERENCE`: the choice for a host down too long.

A host's work without a drain holds once the host has been down longer than its cluster's
max_down_seconds: its noout stays, the operators are told, and nothing moves until someone
decides. `extend` waits longer; `decommission-instead` gives the host up: its data is
recovered from the surviving copies and it is removed. Each decision is recorded, with who
and why.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click

from ceph_tasks.decisions.host_back import EXTENSIONS_KEY, given_up_key, overdue_hosts
from ceph_tasks.decisions.restoration import daemon_key, stopped_daemons
from ceph_tasks.names import TaskName
from ceph_tasks.reference import check_reference
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from dyrygent.states import NodeState
from workflows.admission import check_start
from workflows.audit import operator_action
from workflows.errors import ControlRefused
from workflows.planning import Kind, drained_by, plan_maintenance, target_cluster
from workflows.snapshot import read_cluster_state
from workflows.submission import cancel, check_services, enqueue


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
    with operator_action(session.app, "extend", reference, who=who, why=reason.strip(),
                         details={"minutes": minutes}):
        session.ledger.note(reference, EXTENSIONS_KEY, extensions)
    total = sum(float(e["seconds"]) for e in extensions)
    click.echo(f"{reference}: {minutes:g} more minutes down recorded for {who} "
               f"({total / 60:g} minutes given in all)")
    return 0


@command("decommission-instead")
@click.argument("reference")
@click.option("--host", help="The held host (default: the one the maintenance holds for).")
@click.option("--reason", required=True, help="Why the host is given up: kept with both.")
@click.option("--by", default=None, help="Who decides (default: this user).")
@shared_options
@pass_session
def decommission_instead_command(session: Session, reference: str, host: str | None,
                                 reason: str, by: str | None) -> int:
    """Give up a host held down past max_down: decommission it from its surviving copies.

    The maintenance is cancelled without starting the host's daemons (its noout and
    downtime are lifted), and a decommission of the failed host is queued behind it: its
    OSDs are marked out, their data recovered from the other copies, then purged. Refused,
    nothing written, unless the host is held past its time and may be decommissioned.

    \b
    Example:
      cephmaint decommission-instead maintenance.node1.1a2b3c4d --reason "mainboard dead"
    """
    check_reference(reference)
    who = (by if by is not None else getpass.getuser()).strip()
    if not who or not reason.strip():
        raise UsageError("--by and --reason must say something")
    check_services(session.app)  # the cancel and the queue need both: nothing done without
    handle = session.handle(reference)
    entries = session.ledger.entries(reference)
    overdue = overdue_hosts(entries)
    held = host if host is not None else (overdue[0] if len(overdue) == 1 else None)
    if held is None or held not in overdue:
        told = ", ".join(overdue) or "none"
        raise ControlRefused(f"maintenance {reference} holds no host down past its time"
                             + (f" named {host}" if host is not None else "")
                             + f" (hosts held: {told}); `cephmaint cancel` or wait")
    if handle.status().state.finished:
        raise ControlRefused(f"maintenance {reference} has ended: nothing to turn around")
    cluster = session.plan(reference).get("cluster")
    chosen = target_cluster(Kind.DECOMMISSION, held, session.inventory(), cluster)
    state = read_cluster_state(chosen, drained=drained_by(Kind.DECOMMISSION, held))
    plan = plan_maintenance(Kind.DECOMMISSION, held, cluster=chosen, state=state, failed=True)
    check_start(plan, chosen, state, datetime.now(UTC), wait_for_window=True)
    # Decided: its daemons are not started again (they are to be purged), the rest of
    # what the maintenance changed is put back by its cancel, then the decommission starts.
    with operator_action(session.app, "decommission instead", reference, who=who,
                         why=reason.strip(), details={"host": held,
                                                      "decommission": plan.reference}):
        session.ledger.remember(reference, given_up_key(held), {
            "by": who, "reason": reason.strip(), "decommission": plan.reference,
            "at": datetime.now(UTC).isoformat(timespec="seconds")})
        for osd in stopped_daemons(entries).get(held, []):
            session.ledger.forget(reference, daemon_key(held, osd))
        cancel(handle, session.app)
    position = enqueue(plan, session.app, after=reference)
    click.echo(plan.render())
    click.echo(f"\n{reference}: cancelled, {held} given up by {who}; decommission "
               f"{plan.reference} queued (position {position}), it starts once {reference} "
               f"has put back what it changed; follow it with: cephmaint status -f "
               f"{plan.reference}")
    return 0


COMMANDS = (extend_command, decommission_instead_command)
