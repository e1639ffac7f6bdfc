"""`cephmaint audit`: what was done to a cluster, by whom and when, as the trail keeps it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import click

from ceph_tasks.audit import Kind, Query, Record, SqlAuditStore
from ceph_tasks.audit.entry import describe
from cephmaint.command import command, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from cephmaint.table import aligned
from workflows.listing import AgeError, parse_age


@command("audit")
@click.option("--cluster", help="Only what was done to this cluster.")
@click.option("--host", help="Only what was done on or for this host.")
@click.option("--reference", help="Only this maintenance.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([str(k) for k in Kind]),
              help="Only entries of this kind (repeatable).")
@click.option("--since", metavar="AGE", help="Only the last AGE: 90m, 12h, 7d.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the newest LIMIT entries.")
@click.option("--json", "as_json", is_flag=True, help="The entries as JSON.")
@shared_options
@pass_session
def audit_command(session: Session, cluster: str | None, host: str | None,
                  reference: str | None, kinds: Sequence[str], since: str | None,
                  limit: int | None, as_json: bool) -> int:
    """Every operator action and every change cephmaint made, oldest first.

    Each entry is written before its action and ended after it: OUTCOME is done, failed,
    or begun (running, or its process died before it could say). The trail is kept at
    CEPHMAINT_AUDIT_URL (default: a SQLite file under CEPHMAINT_STATE_HOME) and outlives
    the workflows' state in Redis.

    \b
    Example:
      cephmaint audit --cluster ceph-prod-1 --host node2 --since 7d
    """
    try:
        after = None if since is None else datetime.now(UTC) - timedelta(seconds=parse_age(since))
    except AgeError as e:
        raise UsageError(f"--since: {e}") from e
    if cluster is not None:
        session.inventory().cluster(cluster)  # a mistyped name says so, not "no entries"
    store = SqlAuditStore.from_url(session.settings.audit_location)
    try:
        records = store.records(Query(cluster=cluster, host=host, reference=reference,
                                      since=after, kinds=frozenset(Kind(k) for k in kinds),
                                      limit=limit))
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([r.to_json() for r in records], indent=2))
    elif not records:
        click.echo("no audit entry matches")
    else:
        click.echo(_table(records))
    return 0


def _table(records: Sequence[Record]) -> str:
    lines = [("TIME (UTC)", "KIND", "OUTCOME", "ACTOR", "CLUSTER", "HOST", "REFERENCE",
              "WHAT")]
    for r in records:
        e = r.entry
        lines.append((e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), str(e.kind),
                      str(r.outcome), e.actor, e.cluster or "-", e.host or "-",
                      e.reference or "-", describe(r)))
    return aligned(lines)


COMMANDS = (audit_command,)
