"""`cephmaint inventory check`: validate an inventory and compare it with live clusters."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from ceph_tasks.ceph.cli_client import CliClient
from ceph_tasks.ceph.client import CephClient
from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.errors import CephTaskError
from cephmaint.command import Group, pass_session, shared_options
from cephmaint.exit_codes import ExitCode, exit_code_of, one_line
from cephmaint.session import Session
from inventory import Cluster, compare_layout


@click.group("inventory", cls=Group)
def inventory_group() -> None:
    """The inventory: check it against the live clusters."""


@inventory_group.command("check")
@click.option("--cluster", default=None, help="Check only this cluster (default: every one).")
@click.option("--via", type=click.Choice(["librados", "cli"]), default="librados",
              show_default=True, help="Talk to Ceph through librados or the ceph CLI.")
@click.option("--connect-timeout", type=click.FloatRange(min=0.1), default=10.0,
              show_default=True, help="Seconds to wait for a monitor.")
@click.option("--command-timeout", type=click.FloatRange(min=0.1), default=30.0,
              show_default=True, help="Seconds to wait for each command.")
@click.option("--json", "as_json", is_flag=True, help="One report per cluster, as JSON.")
@shared_options
@pass_session
def check_command(session: Session, cluster: str | None, via: str, connect_timeout: float,
                  command_timeout: float, as_json: bool) -> int:
    """Validate the inventory, connect, and compare it with the live CRUSH layout.

    Exits 0 when every checked cluster matches its inventory, 1 when some differ, 2 when
    the inventory is invalid, 3 when a cluster cannot be reached.

    \b
    Example:
      cephmaint inventory check --inventory /etc/cephmaint/inventory --cluster ceph-prod-1
    """
    inventory = session.inventory()
    clusters = (inventory.cluster(cluster),) if cluster is not None else inventory.clusters
    worst = ExitCode.OK
    reports: list[dict[str, Any]] = []
    for each in clusters:
        try:
            client = _connect(each, via, connect_timeout, command_timeout)
            try:
                live = Ceph(client).crush_layout()
            finally:
                client.close()
        except CephTaskError as e:
            code = exit_code_of(e)
            click.echo(f"cephmaint inventory check: cluster {each.name}: {one_line(e)}",
                       err=True)
            reports.append({"cluster": each.name, "ok": False, "error": one_line(e)})
            worst = max(worst, code)
            continue
        report = compare_layout(each, live)
        reports.append({**asdict(report), "ok": report.ok})
        if not as_json:
            click.echo(report.render())
        worst = max(worst, ExitCode.OK if report.ok else ExitCode.FAILED)
    if as_json:
        click.echo(json.dumps(reports, indent=2))
    return worst


def _connect(cluster: Cluster, via: str, connect_timeout: float,
             command_timeout: float) -> CephClient:
    if via == "cli":
        return CliClient.for_cluster(cluster, connect_timeout=connect_timeout,
                                     command_timeout=command_timeout)
    return RadosClient.for_cluster(cluster, connect_timeout=connect_timeout,
                                   command_timeout=command_timeout)


COMMANDS = (inventory_group,)
