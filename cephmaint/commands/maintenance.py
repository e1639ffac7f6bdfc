"""`cephmaint plan | run KIND TARGET`: read the runbook of a maintenance, then start it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from cephmaint.command import command, pass_session, shared_options
from cephmaint.follow import follow
from cephmaint.session import Session
from dyrygent.states import WorkflowState
from workflows.plan import MaintenancePlan
from workflows.planning import Kind, drained_by, plan_maintenance, target_cluster
from workflows.snapshot import read_cluster_state
from workflows.submission import check_services, submit


def _target(command: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed([
        click.argument("kind", metavar="KIND", type=click.Choice([str(k) for k in Kind])),
        click.argument("target", metavar="HOST"),
        click.option("--new-host", help="replace: the new hardware's host name."),
        click.option("--cluster", help="The cluster (default: the one holding HOST)."),
    ]):
        command = decorator(command)
    return command


def build(session: Session, kind: str, target: str, new_host: str | None,
          cluster: str | None) -> MaintenancePlan:
    """The plan the arguments ask for, with the cluster's state read now."""
    chosen = target_cluster(Kind(kind), target, session.inventory(), cluster)
    state = read_cluster_state(chosen, drained=drained_by(Kind(kind), target))
    return plan_maintenance(Kind(kind), target, cluster=chosen, state=state,
                            new_host=new_host)


@command("plan")
@_target
@click.option("--json", "as_json", is_flag=True, help="The plan as JSON.")
@shared_options
@pass_session
def plan_command(session: Session, kind: str, target: str, new_host: str | None,
                 cluster: str | None, as_json: bool) -> int:
    """Show the runbook of a maintenance; nothing changes.

    HOST is the host to decommission, replace or add; for disk, the OSD whose disk is
    replaced (osd.5).

    \b
    Example:
      cephmaint plan replace node2 --new-host spare-3.dc1
    """
    plan = build(session, kind, target, new_host, cluster)
    click.echo(plan.to_json() if as_json else plan.render())
    return 0


@command("run")
@_target
@click.option("--follow", "-f", "follow_it", is_flag=True,
              help="Show progress until the workflow ends.")
@click.option("--deadline", type=click.FloatRange(min=1), help="Seconds the whole may take.")
@shared_options
@pass_session
def run_command(session: Session, kind: str, target: str, new_host: str | None,
                cluster: str | None, follow_it: bool, deadline: float | None) -> int:
    """Start a maintenance workflow; workers carry it out.

    \b
    Example:
      cephmaint run replace node2 --new-host spare-3.dc1 --follow
    """
    # Redis and the broker first: a run that could not be submitted reads nothing.
    check_services(session.app)
    plan = build(session, kind, target, new_host, cluster)
    click.echo(plan.render())
    handle = submit(plan, session.app, deadline=deadline)
    click.echo(f"\nstarted workflow {handle.id}; follow it with: cephmaint status -f {handle.id}")
    if not follow_it:
        return 0
    last = follow(lambda: session.snapshot(handle), session.console)
    return 0 if last.status.state == WorkflowState.SUCCESS else 1


COMMANDS = (plan_command, run_command)
