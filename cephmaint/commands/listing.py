"""`cephmaint list`: every maintenance of every cluster in the inventory, at a glance."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import click

from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from cephmaint.table import aligned
from workflows.listing import AgeError, Listed, Row, parse_age, select
from workflows.maintenances import read_rows


@command("list")
@click.option("--cluster", help="Only this cluster's maintenances.")
@click.option("--state", "states", multiple=True, type=click.Choice([str(s) for s in Listed]),
              help="Only maintenances in this state (repeatable): waiting means a step "
                   "waits for a window, a technician, health or a hold.")
@click.option("--since", metavar="AGE",
              help="Only maintenances started (or queued) in the last AGE: 90m, 12h, 7d.")
@click.option("--json", "as_json", is_flag=True, help="The rows as JSON.")
@shared_options
@pass_session
def list_command(session: Session, cluster: str | None, states: Sequence[str],
                 since: str | None, as_json: bool) -> int:
    """What maintenance runs where, what waits for whom, and what ended lately.

    One row per maintenance the state store still knows (finished ones for
    CEPHMAINT_KEEP_FINISHED_DAYS, 7 by default; `cephmaint audit` keeps their history):
    reference, kind, hosts, state, the step under way and what it waits for (backfill,
    health, a technician, a window, a hold and why), when it started (UTC), by whom,
    progress.

    \b
    Example:
      cephmaint list --state waiting --since 7d
    """
    try:
        after = None if since is None else time.time() - parse_age(since)
    except AgeError as e:
        raise UsageError(f"--since: {e}") from e
    inventory = session.inventory()
    clusters = [inventory.cluster(cluster)] if cluster else list(inventory.clusters)
    rows = [row for c in clusters for row in read_rows(session.app, c.name, after)]
    chosen = select(rows, [Listed(s) for s in states], after)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in chosen], indent=2))
    elif not chosen:
        click.echo("no maintenance" + (" matches" if states or since else " is known"))
    else:
        click.echo(_table(chosen))
    return 0


def _table(rows: Sequence[Row]) -> str:
    lines = [("REFERENCE", "KIND", "CLUSTER", "HOSTS", "STATE", "PROGRESS", "STARTED", "BY",
              "STEP", "WAITING FOR")]
    for r in rows:
        started = ("-" if r.since is None
                   else datetime.fromtimestamp(r.since, UTC).strftime("%Y-%m-%d %H:%M"))
        lines.append((r.reference, r.kind, r.cluster, ",".join(r.hosts), str(r.state),
                      f"{r.done}/{r.total}", started, r.by or "-", r.step or "-",
                      r.detail or "-"))
    return aligned(lines)


COMMANDS = (list_command,)
