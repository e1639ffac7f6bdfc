"""Guard tasks: succeed when a step is safe, refuse (changing nothing) when it is not.

A workflow puts one before each destructive step; the decisions live in
ceph_tasks.decisions.preconditions and ceph_tasks.decisions.failure_domains, these bodies
only read the cluster and report.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.failed_osd import failed_osds_problems
from ceph_tasks.decisions.health_gate import BASELINE_KEY, Baseline, pgs_by_state
from ceph_tasks.decisions.preconditions import (
    ok_to_stop_problem,
    removal_problems,
    safe_to_destroy_problem,
    start_problems,
)
from ceph_tasks.decisions.removal_plan import host_osds
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.CHECK_HEALTHY_TO_START)  # type: ignore[untyped-decorator]
def check_healthy_to_start(self: MaintenanceTask, cluster: str, reference: str | None = None,
                           failed_osds: list[int] | None = None) -> dict[str, Any]:
    """Refuse to start a maintenance unless every PG is clean and data available.

    The checks raised now (a long-standing warning) are recorded as the maintenance's
    baseline: later waits for health let them be, unless they get worse. With failed_osds
    (a failed disk's replacement), those OSDs must be failed, and their being down and
    their degraded copies do not refuse it.
    """
    what = f"cluster {cluster}: check the cluster is healthy before starting"
    ctx = self.context
    failed = osd_id_list(what, failed_osds) if failed_osds is not None else []
    with step(f"{what}: ceph status"):
        allowed = ctx.cluster(cluster).health_allowlist
        ceph = ctx.ceph(cluster)
        status = ceph.status()
    problems = list(start_problems(status, allowed, failed=len(failed)))
    if failed:
        with step(f"{what}: ceph osd tree, pg dump pgs_brief"):
            tree, pgs = ceph.osd_tree(), ceph.pg_dump_brief()
        problems += failed_osds_problems(tree, pgs, failed)
    if problems:
        refuse(what, "; ".join(problems))
    baseline = Baseline.of(status).to_json()
    if reference is not None:
        with step(what):
            baseline = ctx.ledger.remember(reference, BASELINE_KEY, baseline)
    return {"cluster": cluster, "health": status.health.status.value,
            "pgs_by_state": pgs_by_state(status.pgmap), "baseline": baseline}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.CHECK_REMOVAL)  # type: ignore[untyped-decorator]
def check_removal(self: MaintenanceTask, cluster: str, hosts: list[str]) -> dict[str, Any]:
    """Refuse when, without these hosts' OSDs, a pool would lack failure domains."""
    what = f"cluster {cluster}: check that removing host(s) {', '.join(hosts)} keeps pools whole"
    if not hosts:
        refuse(what, "no hosts given")
    with step(f"{what}: ceph osd tree, osd pool ls detail, osd crush rule dump"):
        report = removal_report(self.context.ceph(cluster), hosts, what)
    return {"cluster": cluster, **report}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.CHECK_OK_TO_STOP)  # type: ignore[untyped-decorator]
def check_ok_to_stop(self: MaintenanceTask, cluster: str, osd_ids: list[int]) -> dict[str, Any]:
    """Refuse unless Ceph says stopping these OSDs keeps every PG active."""
    what = f"cluster {cluster}: ceph osd ok-to-stop {_words(osd_ids)}"
    ids = osd_id_list(what, osd_ids)
    with step(what):
        answer = self.context.ceph(cluster).ok_to_stop(ids)
    problem = ok_to_stop_problem(answer, ids)
    if problem:
        refuse(what, problem)
    return {"cluster": cluster, "osds": ids, "ok_to_stop": True,
            "ok_become_degraded": list(answer.ok_become_degraded)}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.CHECK_SAFE_TO_DESTROY)  # type: ignore[untyped-decorator]
def check_safe_to_destroy(self: MaintenanceTask, cluster: str,
                          osd_ids: list[int]) -> dict[str, Any]:
    """Refuse unless Ceph lists every one of these OSDs as safe to destroy."""
    what = f"cluster {cluster}: ceph osd safe-to-destroy {_words(osd_ids)}"
    ids = osd_id_list(what, osd_ids)
    with step(what):
        answer = self.context.ceph(cluster).safe_to_destroy(ids)
    problem = safe_to_destroy_problem(answer, ids)
    if problem:
        refuse(what, problem)
    return {"cluster": cluster, "osds": ids, "safe_to_destroy": True}


def removal_report(ceph: Ceph, hosts: list[str], what: str) -> dict[str, Any]:
    """The failure-domain guard for removing hosts: refuses, or says what stays."""
    tree = ceph.osd_tree()
    problems = removal_problems(tree, ceph.pool_ls_detail(), ceph.crush_rule_dump(), hosts)
    if problems:
        refuse(what, "; ".join(problems))
    removed = sorted(n.id for host in hosts for n in host_osds(tree, host))
    return {"hosts": hosts, "osds": removed}


def osd_id_list(what: str, osd_ids: list[int]) -> list[int]:
    """The OSD ids of a task argument, sorted; refuses none, or anything that is not an id."""
    if not isinstance(osd_ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in osd_ids):
        refuse(what, f"OSD ids must be a list of non-negative integers, got {osd_ids!r}")
    if not osd_ids:
        refuse(what, "no OSD ids given")
    return sorted(set(osd_ids))


def _words(osd_ids: object) -> str:
    return " ".join(map(str, osd_ids)) if isinstance(osd_ids, list) else repr(osd_ids)
