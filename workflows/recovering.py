"""`recover`'s I/O: read the cluster's copies and who owns them; start the recoveries.

A maintenance is owned while its workflow is in the state store (whatever its state: a
failed one waits for the operator's retry or cancel) or queued for its cluster. What
else has copies on the cluster, or holds a lease, is left over: the workflow's state was
lost (Redis without persistence, a flushed instance) or expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.ledger_mirror import ConfigKeyMirror
from ceph_tasks.tasks.pause import movers_now
from dyrygent.errors import UnknownWorkflowError
from workflows.concurrency import Holder
from workflows.engine import processor_of
from workflows.errors import ClusterBusy
from workflows.leases import RedisLeases
from workflows.queueing import RedisQueue
from workflows.recovery import Leftover, leftovers, orphan_leases, plan_recovery
from workflows.submission import start


@dataclass
class Findings:
    """What no workflow owns on one cluster."""

    cluster: str
    leftovers: list[Leftover] = field(default_factory=list)
    leases: list[Holder] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing was left behind."""
        return not self.leases and all(lo.settled for lo in self.leftovers)


@dataclass
class Applied:
    """What recover --apply did on one cluster."""

    started: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def find(app: Celery, cluster: str, ceph: Ceph) -> Findings:
    """The maintenances of cluster that no workflow owns, and leases nobody will release."""
    redis_url = settings_of(app).redis_url
    copies = ConfigKeyMirror(ceph.client).records()
    holders = RedisLeases.from_url(redis_url).holders(cluster)
    queue = RedisQueue.from_url(redis_url)
    owned = {ref for ref in {*copies, *(h.reference for h in holders)}
             if _in_store(app, ref) or queue.position(ref) is not None}
    balancer, pools = movers_now(ceph)
    return Findings(cluster, leftovers(copies, owned, ceph.osd_dump(), ceph.osd_tree(), pools,
                                       balancer, ceph.config_dump()),
                    orphan_leases(holders, owned))


def apply(app: Celery, findings: Findings, ceph: Ceph) -> Applied:
    """Release the orphan leases, drop settled copies, start a recovery of the others."""
    done = Applied()
    leases = RedisLeases.from_url(settings_of(app).redis_url)
    for holder in findings.leases:
        leases.release(findings.cluster, holder.reference, holder.token)
        done.released.append(holder.reference)
    mirror = ConfigKeyMirror(ceph.client)
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    for leftover in findings.leftovers:
        if leftover.settled:
            for key in leftover.records:
                mirror.drop(leftover.reference, key)
            done.cleared.append(leftover.reference)
            continue
        _restore_entries(ledger, leftover.reference, leftover.records)
        try:
            start(plan_recovery(findings.cluster, leftover).to_dict(), app)
        except ClusterBusy as e:
            done.refused[leftover.reference] = e.reason
            continue
        done.started.append(leftover.reference)
    return done


def _restore_entries(ledger: RedisLedger, reference: str, records: Mapping[str, Any]) -> None:
    """The ledger of reference as the recovery starts it: its records, nothing else.

    Where the workflow's state expired but its ledger did not, its old plan, generation
    and finaliser marks would mislead the recovery's guardian: only the records stay.
    """
    for key in ledger.entries(reference):
        if not restorable_key(key):
            ledger.forget(reference, key)
    for key, value in records.items():
        ledger.remember(reference, key, value)


def _in_store(app: Celery, reference: str) -> bool:
    try:
        processor_of(app).handle(reference).status()
    except UnknownWorkflowError:
        return False
    return True
