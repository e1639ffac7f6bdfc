"""`cephmaint plan | run KIND TARGET`: read the runbook of a maintenance, then start it."""

from __future__ import annotations

import getpass
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from ceph_tasks.notify.ticket import check_key
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.follow import follow
from cephmaint.session import Session
from dyrygent.states import WorkflowState
from inventory import Cluster
from workflows.admission import check_start, describe_health, describe_window
from workflows.errors import ClusterBusy
from workflows.host_work import Work
from workflows.move_once import Strategy
from workflows.plan import MaintenancePlan
from workflows.planning import (
    MOVING_DATA,
    Kind,
    drained_by,
    plan_maintenance,
    stopped_by,
    target_cluster,
)
from workflows.snapshot import read_cluster_state
from workflows.state import ClusterState
from workflows.submission import check_services, enqueue, submit


def _target(command: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed([
        click.argument("kind", metavar="KIND", type=click.Choice([str(k) for k in Kind])),
        click.argument("target", metavar="HOST", required=False),
        click.option("--new-host", help="replace: the new hardware's host name."),
        click.option("--strategy", type=click.Choice([str(s) for s in Strategy]),
                     default=str(Strategy.AUTO), show_default=True,
                     help="replace, add, decommission: move-once sends each copy straight to "
                          "its new place (upmap items); drain-fill drains the old host, then "
                          "fills the new one in steps (add, decommission: the weights in "
                          "steps); auto: move-once for a replace or decommission where the "
                          "cluster allows, steps for an add."),
        click.option("--cluster", help="The cluster (default: the one holding HOST)."),
        click.option("--reboot", is_flag=True,
                     help="maintenance: reboot HOST (the inventory's reboot_command)."),
        click.option("--command", "host_command", metavar="CMD",
                     help="maintenance: run CMD on HOST (split into words as a shell would, "
                          "run without one)."),
        click.option("--technician", is_flag=True,
                     help="maintenance: ask the technicians, wait for their confirmation."),
        click.option("--reason", help="Why: the work of a maintenance, or why --now."),
        click.option("--all-hosts", is_flag=True,
                     help="maintenance: every host of --cluster, batch after batch."),
        click.option("--rack", help="maintenance: every host of this rack (of --cluster)."),
        click.option("--db-device", metavar="DEV",
                     help="disk: replace the device at DEV of HOST holding the DB/WAL of "
                          "several OSDs, every one of them with it."),
        click.option("--ticket", metavar="KEY",
                     help="disk: the ticket already open about it (as `watch` proposes): "
                          "the replacement comments it instead of opening another."),
        click.option("--failed", is_flag=True,
                     help="disk, decommission: the disk or host has failed (its OSDs are "
                          "down): no drain, Ceph recovers its data from the other copies."),
    ]):
        command = decorator(command)
    return command


def build(session: Session, kind: str, target: str | None, new_host: str | None,
          cluster: str | None, **work: Any) -> tuple[Cluster, ClusterState, MaintenancePlan]:
    """The cluster, its state read now, and the plan the arguments ask for."""
    all_hosts, rack = work.pop("all_hosts"), work.pop("rack")
    options = _work_options(Kind(kind), **work)
    target = _hosts(session, Kind(kind), target, cluster, all_hosts, rack)
    chosen = target_cluster(Kind(kind), target, session.inventory(), cluster)
    state = read_cluster_state(chosen, drained=drained_by(Kind(kind), target),
                               stopped=stopped_by(Kind(kind), target),
                               upmaps=Kind(kind) in MOVING_DATA)
    return chosen, state, plan_maintenance(Kind(kind), target, cluster=chosen, state=state,
                                           new_host=new_host, **options)


def _hosts(session: Session, kind: Kind, target: str | None, cluster: str | None,
           all_hosts: bool, rack: str | None) -> str:
    """The target: HOST as given, or a maintenance's hosts (comma-separated) of a cluster."""
    if not all_hosts and rack is None:
        if target is None:
            raise UsageError("give the HOST (or, for maintenance, --all-hosts or --rack R)")
        return target
    if kind != Kind.MAINTENANCE or target is not None or (all_hosts and rack is not None):
        raise UsageError("--all-hosts or --rack R, without HOST, and for maintenance only")
    inventory = session.inventory()
    if cluster is None and len(inventory.clusters) != 1:
        raise UsageError("--all-hosts and --rack need --cluster when the inventory has "
                         "several clusters")
    chosen = inventory.cluster(cluster) if cluster else inventory.clusters[0]
    osd_hosts = {o.host for o in chosen.osds}
    hosts = [h.name for h in chosen.hosts if h.name in osd_hosts
             and (rack is None or h.rack == rack)]
    if not hosts:
        where = f"rack {rack}" if rack is not None else "the inventory"
        raise UsageError(f"no host with OSDs in {where} of cluster {chosen.name}")
    return ",".join(hosts)


def _work_options(kind: Kind, *, reboot: bool, host_command: str | None, technician: bool,
                  reason: str | None, failed: bool, db_device: str | None,
                  ticket: str | None, strategy: str) -> dict[str, Any]:
    """A maintenance's work and reason, a disk's failed and ticket, a replace's strategy,
    as the builder takes them."""
    moves = kind in MOVING_DATA
    if strategy != Strategy.AUTO and not moves:
        raise UsageError("--strategy is for replace, add and decommission only")
    if failed and kind not in (Kind.DISK, Kind.DECOMMISSION):
        raise UsageError("--failed is for disk and decommission only")
    if failed and strategy != Strategy.AUTO:
        raise UsageError("--strategy is not for --failed: a failed host's data is recovered "
                         "from the other copies, not moved")
    if ticket is not None:
        if kind != Kind.DISK:
            raise UsageError("--ticket is for disk only")
        try:
            check_key(ticket)
        except ValueError as e:
            raise UsageError(f"--ticket: {e}") from e
    if db_device is not None and kind != Kind.DISK:
        raise UsageError("--db-device is for disk only: cephmaint run disk HOST --db-device DEV")
    chosen = [w for w, given in ((Work.REBOOT, reboot), (Work.COMMAND, host_command),
                                 (Work.TECHNICIAN, technician)) if given]
    if kind != Kind.MAINTENANCE:
        if chosen:
            raise UsageError("--reboot, --command and --technician are for maintenance only")
        return {**({"failed": True} if failed else {}),
                **({"db_device": db_device} if db_device is not None else {}),
                **({"ticket": ticket} if ticket is not None else {}),
                **({"strategy": Strategy(strategy)} if moves else {})}
    if len(chosen) != 1:
        raise UsageError("maintenance needs one of --reboot, --command CMD, --technician")
    if not reason or not reason.strip():
        raise UsageError("maintenance needs --reason TEXT: why the host goes down")
    try:
        argv = shlex.split(host_command) if host_command is not None else None
    except ValueError as e:
        raise UsageError(f"--command {host_command!r} cannot be split into words: {e}") from e
    if argv == []:
        raise UsageError("--command is empty: give the command to run on the host")
    return {"work": chosen[0], "command": argv, "reason": reason.strip()}


@command("plan")
@_target
@click.option("--json", "as_json", is_flag=True, help="The plan as JSON.")
@shared_options
@pass_session
def plan_command(session: Session, kind: str, target: str | None, new_host: str | None,
                 cluster: str | None, as_json: bool, **work: Any) -> int:
    """Show the runbook of a maintenance; nothing changes.

    HOST is the host to decommission, replace, add or work on (maintenance: its data stays
    in place); for disk, the OSD whose disk is replaced (osd.5), or with --db-device the host.

    \b
    Examples:
      cephmaint plan replace node2 --new-host spare-3.dc1
      cephmaint plan maintenance node1 --reboot --reason "kernel 6.1.0-28"
      cephmaint plan maintenance --all-hosts --cluster ceph-prod-1 --reboot --reason kernel
    """
    chosen, state, plan = build(session, kind, target, new_host, cluster, **work)
    if as_json:
        click.echo(plan.to_json())
    else:
        click.echo(plan.render())
        click.echo(describe_window(plan, chosen, datetime.now(UTC)))
        click.echo("\n".join(describe_health(state, chosen, len(plan.failed))))
    return 0


@command("run")
@_target
@click.option("--follow", "-f", "follow_it", is_flag=True,
              help="Show progress until the workflow ends.")
@click.option("--deadline", type=click.FloatRange(min=1), help="Seconds the whole may take.")
@click.option("--queue", "wait", is_flag=True,
              help="Wait for the cluster (in line while it is busy) and for its windows.")
@click.option("--now", "now_", is_flag=True,
              help="Start outside the maintenance windows (needs --reason; recorded).")
@click.option("--volatile-state", is_flag=True,
              help="Start though the state Redis has no append-only file: a Redis restart "
                   "would lose the maintenance's state and what it changed.")
@shared_options
@pass_session
def run_command(session: Session, kind: str, target: str | None, new_host: str | None,
                cluster: str | None, follow_it: bool, deadline: float | None, wait: bool,
                now_: bool, volatile_state: bool, **work: Any) -> int:
    """Start a maintenance workflow; workers carry it out.

    Refused (exit 1, nothing written) when the cluster is not healthy, outside its
    maintenance windows, or busy: one maintenance per cluster at a time (the inventory's
    max_concurrent_maintenances), the refusal naming the one that holds it. With --queue
    it waits in line for a busy cluster and its steps wait for the windows; --now --reason
    TEXT starts outside the windows. A host already in a maintenance is always refused.

    maintenance HOST stops the host's OSDs under its own noout, does the work (--reboot,
    --command CMD or --technician, with --reason TEXT) and starts them again: no data moves.
    Several hosts (node0,node1 or --all-hosts or --rack R) go in batches that every pool
    can lose at once, each batch back and clean before the next.

    \b
    Examples:
      cephmaint run replace node2 --new-host spare-3.dc1 --follow
      cephmaint run maintenance node1 --reboot --reason "kernel 6.1.0-28" --follow
      cephmaint run disk osd.5 --failed --follow
      cephmaint run disk node2 --db-device /dev/nvme0n1
    """
    override = _override(now_, work["reason"], wait, kind == Kind.MAINTENANCE)
    # Redis and the broker first: a run that could not be submitted reads nothing.
    check_services(session.app, volatile_ok=volatile_state)
    chosen, state, plan = build(session, kind, target, new_host, cluster, **work)
    verdict = check_start(plan, chosen, state, datetime.now(UTC), wait_for_window=wait,
                          override=override)
    try:
        handle = submit(plan, session.app, deadline=deadline, window_override=override,
                        volatile_ok=volatile_state)
    except ClusterBusy as busy:
        if not busy.queueable:
            raise
        if not wait:
            raise ClusterBusy(busy.cluster, busy.reference, f"{busy.reason}; --queue waits "
                              "for it", queueable=True, holders=busy.holders) from busy
        position = enqueue(plan, session.app, deadline=deadline, window_override=override)
        click.echo(plan.render())
        click.echo(f"window: {verdict.reason}")
        click.echo(f"\nqueued workflow {plan.reference}, position {position}: {busy.reason}; "
                   f"it starts by itself when the cluster frees; see it with: "
                   f"cephmaint status {plan.reference}")
        return 0
    # The runbook is shown once the maintenance is started: a refused run prints nothing.
    click.echo(plan.render())
    click.echo(f"window: {verdict.reason}")
    click.echo(f"\nstarted workflow {handle.id}; follow it with: cephmaint status -f {handle.id}")
    if not follow_it:
        return 0
    last = follow(lambda: session.snapshot(handle), session.console)
    return 0 if last.status.state == WorkflowState.SUCCESS else 1


def _override(now_: bool, reason: str | None, wait: bool,
              has_reason: bool) -> dict[str, Any] | None:
    # A maintenance's --reason says why the host goes down, with or without --now.
    if wait and now_:
        raise UsageError("--queue waits for the window and --now starts outside it: give one")
    if (now_ and reason is None) or (not now_ and reason is not None and not has_reason):
        raise UsageError("--now and --reason go together: --now --reason 'why now'")
    if reason is None or not now_:
        return None
    if not reason.strip():
        raise UsageError("--reason is empty: say why the maintenance cannot wait")
    return {"reason": reason.strip(), "by": getpass.getuser(),
            "at": datetime.now(UTC).isoformat(timespec="seconds")}


COMMANDS = (plan_command, run_command)
