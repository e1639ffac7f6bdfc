"""`cephmaint status | pause | resume | cancel | retry | skip | graph REFERENCE`."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict

import click

from cephmaint.command import command, pass_session, shared_options
from cephmaint.follow import follow, show
from cephmaint.session import Session
from dyrygent import export
from dyrygent.states import WorkflowState
from workflows.controls import control
from workflows.errors import ClusterBusy
from workflows.queueing import RedisQueue
from workflows.starter import REFUSED_KEY, WAITING_KEY

REFERENCE = click.argument("reference")
REASON = click.option("--reason", default="", help="Why: kept in the audit trail.")


@command("status")
@REFERENCE
@click.option("--follow", "-f", "follow_it", is_flag=True,
              help="Keep showing progress until the workflow ends.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds between updates.")
@click.option("--json", "as_json", is_flag=True, help="The status and steps as JSON.")
@shared_options
@pass_session
def status_command(session: Session, reference: str, follow_it: bool, interval: float,
                   as_json: bool) -> int:
    """Progress, steps and recent events of a workflow, or its place in its cluster's queue.

    Exits 1 when the workflow failed.

    \b
    Example:
      cephmaint status -f replace.node2.1a2b3c4d
    """
    waiting = queued(session, reference)
    if waiting is not None:
        cluster, position = waiting
        why = session.ledger.recall(reference, WAITING_KEY) if position == 1 else None
        click.echo(json.dumps({"id": reference, "state": "QUEUED", "cluster": cluster,
                               "position": position, "waiting": why}, indent=2) if as_json
                   else f"workflow {reference}: queued, position {position} on cluster "
                        f"{cluster}" + (f": {why}" if why else ""))
        return 0
    given_up = session.ledger.recall(reference, REFUSED_KEY)
    if given_up is not None:
        raise ClusterBusy("its cluster", reference, f"queued, then given up: {given_up}",
                          queueable=False)
    handle = session.handle(reference)
    if follow_it and not as_json:
        last = follow(lambda: session.snapshot(handle), session.console, interval=interval)
    else:
        last = session.snapshot(handle)
        if as_json:
            click.echo(json.dumps({
                **last.status.to_dict(),
                "steps": [{**asdict(s), "state": str(s.state)} for s in last.steps],
                "events": list(last.events)}, indent=2, default=str))
        else:
            show(last, session.console)
    return 1 if last.status.state == WorkflowState.FAILURE else 0


def queued(session: Session, reference: str) -> tuple[str, int] | None:
    """The cluster a maintenance waits for and its place in line, when it is queued."""
    return RedisQueue.from_url(session.settings.redis_url).position(reference)


def _control(name: str, summary: str, example: str) -> click.Command:
    @command(name, help=f"{summary}\n\n\b\nExample:\n  cephmaint {name} {example}")
    @REFERENCE
    @REASON
    @shared_options
    @pass_session
    def control_command(session: Session, reference: str, reason: str) -> int:
        # A queued one has no workflow yet: its cancel takes it out of the line.
        handle = None if queued(session, reference) else session.handle(reference)
        for line in control(session.app, name, reference, who=getpass.getuser(), why=reason,
                            handle=handle):
            click.echo(line)
        return 0
    return control_command


@command("retry")
@REFERENCE
@REASON
@shared_options
@pass_session
def retry_command(session: Session, reference: str, reason: str) -> int:
    """Re-run the failed steps of a failed workflow, after setting up again what it restored.

    A workflow still running is refused (exit 2).

    \b
    Example:
      cephmaint retry decommission.node1.1a2b3c4d
    """
    for line in control(session.app, "retry", reference, who=getpass.getuser(), why=reason,
                        handle=session.handle(reference)):
        click.echo(line)
    return 0


@command("skip")
@REFERENCE
@click.argument("step")
@REASON
@shared_options
@pass_session
def skip_command(session: Session, reference: str, step: str, reason: str) -> int:
    """Skip a pending or failed step (its id, as `status --json` shows it).

    \b
    Example:
      cephmaint skip replace.node2.1a2b3c4d wait-healthy
    """
    for line in control(session.app, "skip", reference, who=getpass.getuser(), why=reason,
                        step=step, handle=session.handle(reference)):
        click.echo(line)
    return 0


@command("graph")
@REFERENCE
@click.option("--format", "form", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True, help="The graph language.")
@click.option("--json", "as_json", is_flag=True, help="The nodes and their edges as JSON.")
@shared_options
@pass_session
def graph_command(session: Session, reference: str, form: str, as_json: bool) -> int:
    """The graph of a submitted workflow.

    \b
    Example:
      cephmaint graph replace.node2.1a2b3c4d --format dot | dot -Tsvg > replace.svg
    """
    specs = session.handle(reference).specs()
    if as_json:
        click.echo(json.dumps([{"id": s.id, "task": s.task, "after": list(s.dependencies)}
                               for s in specs], indent=2))
    elif form == "dot":
        click.echo(export.to_dot(specs, reference))
    else:
        click.echo(export.to_mermaid(specs))
    return 0


COMMANDS = (
    status_command,
    _control("pause", "Stop dispatching new steps; running ones finish.",
             "replace.node2.1a2b3c4d"),
    _control("resume", "Dispatch again after pause.", "replace.node2.1a2b3c4d"),
    _control("cancel", "Revoke running steps and end the workflow CANCELLED; the guardian "
                       "raises drained OSDs back to their weights, then restores flags, "
                       "movers and downtimes. A failed one is rolled back the same way; a "
                       "queued one leaves the queue.",
             "replace.node2.1a2b3c4d"),
    retry_command,
    skip_command,
    graph_command,
)
