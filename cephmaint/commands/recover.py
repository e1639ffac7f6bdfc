"""`cephmaint recover --cluster C [--apply]`: what cephmaint left that no workflow owns."""

from __future__ import annotations

import json

import click

from ceph_tasks.ceph import Ceph, RadosClient
from cephmaint.command import command, pass_session, shared_options
from cephmaint.exit_codes import ExitCode
from cephmaint.session import Session
from workflows.recovering import Applied, Findings, apply, find


@command("recover")
@click.option("--cluster", required=True, help="The cluster to look at.")
@click.option("--apply", "apply_it", is_flag=True,
              help="Put it back: start a recovery per maintenance, release orphan leases.")
@click.option("--json", "as_json", is_flag=True, help="What was found (and done) as JSON.")
@shared_options
@pass_session
def recover_command(session: Session, cluster: str, apply_it: bool, as_json: bool) -> int:
    """List what maintenances left on a cluster that no workflow owns; --apply restores it.

    The last resort after losing Redis or a workflow's state: the changes each
    maintenance recorded are also kept on the cluster (config-key cephmaint/ledger/...).
    Those still in effect (flags, the balancer and autoscaler, drained OSDs' weights,
    stopped OSDs, monitoring downtimes) are put back by a recovery workflow under the
    maintenance's own reference, through the one restore path and the reweight
    throttle; follow it with `cephmaint status -f REFERENCE`. Leases no workflow will
    release are released. Exits 0 when nothing is left (or every recovery started), 1
    when something is left and --apply was not given or a recovery was refused.

    \b
    Example:
      cephmaint recover --cluster ceph-prod-1 --apply
    """
    client = RadosClient.for_cluster(session.inventory().cluster(cluster))
    try:
        ceph = Ceph(client)
        findings = find(session.app, cluster, ceph)
        done = apply(session.app, findings, ceph) if apply_it else None
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(_as_dict(findings, done), indent=2))
    else:
        click.echo(_render(findings, done))
    if done is not None:
        return ExitCode.FAILED if done.refused else ExitCode.OK
    return ExitCode.OK if findings.empty else ExitCode.FAILED


def _render(findings: Findings, done: Applied | None) -> str:
    if findings.empty and not findings.leftovers:
        return f"cluster {findings.cluster}: nothing left behind by cephmaint"
    lines = [f"cluster {findings.cluster}: left by maintenances no workflow owns"]
    for leftover in findings.leftovers:
        if leftover.settled:
            lines.append(f"  {leftover.reference}: nothing in effect (copies of "
                         f"{len(leftover.records)} record(s) only)")
            continue
        lines.append(f"  {leftover.reference}:")
        lines += [f"    - {said}" for said in leftover.in_effect]
    lines += [f"  lease held by {h.describe()}, whose workflow is gone" for h in findings.leases]
    if done is None:
        lines.append("nothing changed; `cephmaint recover --cluster "
                     f"{findings.cluster} --apply` puts it back and drops the copies")
        return "\n".join(lines)
    lines += [f"recovery started: {ref} (cephmaint status -f {ref})" for ref in done.started]
    lines += [f"copies dropped: {ref}" for ref in done.cleared]
    lines += [f"lease released: {ref}" for ref in done.released]
    lines += [f"NOT started: {ref}: {why}" for ref, why in done.refused.items()]
    return "\n".join(lines)


def _as_dict(findings: Findings, done: Applied | None) -> dict[str, object]:
    found: dict[str, object] = {
        "cluster": findings.cluster,
        "leftovers": [{"reference": lo.reference, "in_effect": list(lo.in_effect),
                       "weights": list(lo.weights), "hosts": list(lo.hosts),
                       "records": dict(lo.records)} for lo in findings.leftovers],
        "leases": [{"reference": h.reference, "hosts": list(h.hosts)} for h in findings.leases],
    }
    if done is not None:
        found["applied"] = {"started": done.started, "cleared": done.cleared,
                            "released": done.released, "refused": done.refused}
    return found


COMMANDS = (recover_command,)
