"""`cephmaint watch`: find failed and failing disks, and propose or start their replacement."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click

from cephmaint.command import command, pass_session, shared_options
from cephmaint.session import Session
from cephmaint.table import aligned
from workflows.submission import check_services
from workflows.watching import Outcome, Watcher


@command("watch")
@click.option("--cluster", help="Only this cluster (default: every cluster of the inventory).")
@click.option("--auto", is_flag=True,
              help="Start replacements without an operator, within the policy's limits, "
                   "whatever the inventory's failures.action says.")
@click.option("--every", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Look again every SECONDS until interrupted (default: look once).")
@click.option("--json", "as_json", is_flag=True, help="What each look found, as JSON lines.")
@shared_options
@pass_session
def watch_command(session: Session, cluster: str | None, auto: bool, every: float | None,
                  as_json: bool) -> int:
    """Look for failed and failing disks and act on each cluster's failure policy.

    A disk has failed when its OSD stays down past the policy's down_grace_seconds (one
    back sooner starts nothing); it is failing when the manager predicts its end within
    predicted_within_days. By the inventory's failures.action, the operators are told once
    per failure, with the plan and the one command that approves it, and a ticket is
    opened (propose, the default); or the replacement starts by itself (auto), at most
    max_automatic_per_day, one failure at a time, only on an otherwise healthy cluster and
    inside its windows. More failed at once than the pools can lose, or a whole host down,
    pages a person instead.

    \b
    Examples:
      cephmaint watch --cluster ceph-prod-1
      cephmaint watch --auto --every 60
    """
    check_services(session.app)
    inventory = session.inventory()
    clusters = [inventory.cluster(cluster)] if cluster else list(inventory.clusters)
    watcher = Watcher(session.app, now=lambda: datetime.now(UTC))
    while True:
        for chosen in clusters:
            outcomes = watcher.look(chosen, auto=True if auto else None)
            _show(chosen.name, outcomes, as_json)
        if every is None:
            return 0
        time.sleep(every)


def _show(cluster: str, outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"cluster": cluster, "at": datetime.now(UTC).isoformat(),
                               "found": [o.to_dict() for o in outcomes]}))
        return
    if not outcomes:
        click.echo(f"{cluster}: no failed or failing disk")
        return
    rows = [("OSD", "HOST", "DISK", "ACTION", "WHY", "DONE")]
    rows += [(f"osd.{o.verdict.failure.osd}", o.verdict.failure.host or "?",
              str(o.verdict.failure.kind), str(o.verdict.action), o.verdict.reason, o.done)
             for o in outcomes]
    click.echo(f"{cluster}:")
    click.echo(aligned(rows))
    for outcome in outcomes:
        if outcome.command:
            click.echo(f"approve osd.{outcome.verdict.failure.osd} with: {outcome.command}")
COMMANDS = (watch_command,)
