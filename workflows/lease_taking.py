"""Taking a cluster's lease for a maintenance: the inventory's limit, the guard, the holders.

Used at submit, at an operator's retry, by the guardian of a maintenance that lost its
lease, and by the task that starts a queued maintenance: all four take it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from ceph_tasks.app import settings_of
from dyrygent.errors import UnknownWorkflowError
from dyrygent.states import WorkflowState
from inventory import Cluster
from workflows.concurrency import Concurrency, Holder, Refusal, join_refusal
from workflows.engine import processor_of
from workflows.leases import RedisLeases
from workflows.queueing import RedisQueue
from workflows.snapshot import read_cluster_state
from workflows.state import domain_problems

#: Ledger key of a maintenance's lease: its cluster and fencing token.
LEASE_KEY = "lease"


def concurrency_of(cluster: Cluster) -> Concurrency:
    """The cluster's limit; above 1, the failure-domain guard of all hosts together.

    The guard reads the cluster when it is asked, that is only when a maintenance would
    join another.
    """
    limit = cluster.max_concurrent_maintenances
    if limit == 1:
        return Concurrency(limit=1)
    return Concurrency(limit=limit, check=lambda hosts: domain_problems(
        read_cluster_state(cluster), hosts))


def configured_concurrency(app: Celery, cluster: str) -> Concurrency:
    """The concurrency the app's inventory gives the cluster; 1 without an inventory."""
    settings = settings_of(app)
    if settings.inventory_path is None:
        return Concurrency(limit=1)
    return concurrency_of(settings.inventory().cluster(cluster))


def take_lease(app: Celery, cluster: str, reference: str, hosts: Sequence[str], *,
               concurrency: Concurrency | None = None, replace_own: bool = False) -> int:
    """Take the cluster's lease for a maintenance; its fencing token, or ClusterBusy.

    Hosts waiting in the cluster's queue count as taken. A holder whose workflow has
    succeeded is not counted: it has nothing left to do, its guardian only has not
    released it yet.
    """
    rules = concurrency or configured_concurrency(app, cluster)
    settings = settings_of(app)
    queued = [q.holder() for q in RedisQueue.from_url(settings.redis_url).waiting(cluster)]

    def decide(live: Sequence[Holder]) -> Refusal | None:
        active = [h for h in live if h.reference == reference or not _succeeded(app, h)]
        return join_refusal(reference, tuple(hosts), active, rules, queued)

    return RedisLeases.from_url(settings.redis_url).take(
        cluster, reference, hosts, settings.lease_seconds, decide, replace_own=replace_own)


def _succeeded(app: Celery, holder: Holder) -> bool:
    try:
        state = processor_of(app).handle(holder.reference).status().state
    except UnknownWorkflowError:
        # Not stored yet (its submit is under way) or deleted: its lease's time decides.
        return False
    return state == WorkflowState.SUCCESS
