"""Remove a node: out, stop, purge (or destroy) its OSDs and drop its host bucket.

The data must have moved off first (a drain to weight 0, then a wait for healthy): this
task only takes away OSDs Ceph says are safe to destroy, and only if every pool keeps enough
failure domains without them. A refusal changes nothing. A repeating task: after stopping
the daemons it runs again until the monitor sees them down, then purges. Every part is
read back from the cluster first, so a second run finds it done and changes nothing.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.preconditions import safe_to_destroy_problem
from ceph_tasks.decisions.removal_plan import RemovalMode, RemovalPlan, plan_removal
from ceph_tasks.errors import HostKeyRejected, SshConnectError
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from ceph_tasks.tasks.guards import removal_report

#: A stopped OSD is reported down within seconds; a minute means something is wrong.
#: A host that stops answering over SSH (rebooting, a switch down) is waited for as long.
DOWN_TIMEOUT = 300.0
DOWN_INTERVAL = 2.0
#: Seconds between two tries of a host that does not answer over SSH.
UNREACHABLE_INTERVAL = 5.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.REMOVE_NODE)  # type: ignore[untyped-decorator]
def remove_node(self: MaintenanceTask, cluster: str, host: str, reference: str,
                mode: str = RemovalMode.PURGE.value, timeout: float = DOWN_TIMEOUT,
                interval: float = DOWN_INTERVAL,
                osd_ids: list[int] | None = None) -> dict[str, Any]:
    """Take a drained host's OSDs (or only osd_ids) out: purge (with its bucket) or destroy."""
    scope = f"host {host}" if osd_ids is None else f"{_named(osd_ids)} of host {host}"
    what = f"cluster {cluster}: remove {scope} ({mode})"
    try:
        how = RemovalMode(mode)
    except ValueError:
        refuse(what, f"mode must be one of {', '.join(m.value for m in RemovalMode)}")
    ctx = self.context
    with step(what):
        ctx.host(cluster, host)  # the host must be in the inventory: its daemons go over SSH
        ceph = ctx.ceph(cluster)
    with step(f"{what}: ceph osd tree"):
        plan = plan_removal(ceph.osd_tree(), host, how, osd_ids)
    key = f"remove-node:{host}" if osd_ids is None else f"remove-osds:{host}:{_named(osd_ids)}"
    with step(what):
        # The host's OSDs when this maintenance first looked: purged ids vanish from the tree.
        recorded = ctx.ledger.remember(reference, key, list(plan.osds))
    report: dict[str, Any] = {"cluster": cluster, "host": host, "mode": how.value,
                              "osds": recorded}
    if plan.done:
        return {**report, "changed": False, "done": True}
    with step(what):
        begun = ctx.ledger.recall(reference, f"{key}:begun")
    if begun is None:
        # Destroying starts inside a window only; once begun, it finishes whatever the clock.
        self.wait_for_window(cluster=cluster, reference=reference, hosts=[host])
        with step(what):
            ctx.ledger.remember(reference, f"{key}:begun", ctx.now().isoformat())
    # Some OSDs of a host leave its failure domain in place: only the whole host is checked.
    _guard(what, ceph, host, plan, whole_host=osd_ids is None)

    if plan.to_out or plan.to_stop or plan.to_remove:
        self.fence(what)
    if plan.to_out:
        ids = " ".join(map(str, plan.to_out))
        with step(f"{what}: ceph osd out {ids}"):
            ceph.client.mon_command("osd out", ids=[str(i) for i in plan.to_out])
    daemons = ctx.daemons(cluster, host)
    unreachable: str | None = None
    for osd in plan.to_stop:
        # Stopping a stopped daemon is harmless: a repeated run may stop one twice.
        with step(f"{what}: stop osd.{osd} on host {host}"):
            try:
                daemons.stop_osd(osd)
            except HostKeyRejected:
                raise  # not a host that is away: one that is not the host we know
            except SshConnectError as e:
                unreachable = str(e)
                break
    if unreachable is not None:
        # What is done stays done (the OSDs out); the stops are tried again until the host
        # answers, and the next run reads back which OSDs still run.
        self.progress(**report, waiting_for=f"host {host} to answer over SSH",
                      last_error=unreachable)
        self.again(reference=reference, countdown=UNREACHABLE_INTERVAL, timeout=timeout,
                   waiting_for=f"{what}: host {host} to answer over SSH",
                   last_seen=unreachable)
    if plan.to_stop:
        with step(f"{what}: ceph osd tree"):
            tree = ceph.osd_tree()
        still_up = [n.id for n in tree.osds() if n.id in plan.to_remove and n.up]
        if still_up:
            self.progress(**report, waiting_for="OSDs down", still_up=still_up)
            self.again(reference=reference, countdown=interval, timeout=timeout,
                       waiting_for=f"{what}: the monitor to see the stopped OSDs down",
                       last_seen=f"still up: {', '.join(f'osd.{i}' for i in still_up)}")

    verb = "purge" if how is RemovalMode.PURGE else "destroy"
    for osd in plan.to_remove:
        self.progress(**report, removing=osd)
        with step(f"{what}: ceph osd {verb} {osd} --yes-i-really-mean-it"):
            # Manager commands (they check safe-to-destroy themselves before asking the
            # monitor): sent through the monitor, Pacific answers EINVAL.
            ceph.client.mgr_command(f"osd {verb}", id=osd, yes_i_really_mean_it=True)
    bucket_removed = plan.remove_bucket and _remove_bucket(what, ceph, host)
    return {**report, "changed": True, "done": True, "marked_out": list(plan.to_out),
            "stopped": list(plan.to_stop),
            "purged" if how is RemovalMode.PURGE else "destroyed": list(plan.to_remove),
            "bucket_removed": bucket_removed}


def _guard(what: str, ceph: Ceph, host: str, plan: RemovalPlan, whole_host: bool) -> None:
    # Both before anything changes, on every run: a run after a partial one checks again.
    if whole_host:
        with step(f"{what}: failure domains left (ceph osd tree, pool ls detail, "
                  "crush rule dump)"):
            removal_report(ceph, [host], what)
    if plan.to_remove:
        ids = " ".join(map(str, plan.to_remove))
        with step(f"{what}: ceph osd safe-to-destroy {ids}"):
            answer = ceph.safe_to_destroy(plan.to_remove)
        problem = safe_to_destroy_problem(answer, plan.to_remove)
        if problem:
            refuse(what, f"{problem} (drain the host to weight 0 and wait for a healthy "
                         "cluster first)")


def _remove_bucket(what: str, ceph: Ceph, host: str) -> bool:
    with step(f"{what}: ceph osd tree"):
        bucket = next((n for n in ceph.osd_tree().nodes
                       if n.name == host and n.type == "host"), None)
    if bucket is None:
        return False
    if bucket.children:
        # Someone placed another OSD there meanwhile: removing the bucket would fail anyway.
        refuse(f"{what}: ceph osd crush rm {host}",
               f"the host bucket still holds items {list(bucket.children)}")
    with step(f"{what}: ceph osd crush rm {host}"):
        ceph.client.mon_command("osd crush rm", name=host)
    return True


def _named(osd_ids: list[int]) -> str:
    return ",".join(f"osd.{i}" for i in sorted(osd_ids))
