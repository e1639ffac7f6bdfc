"""Whether a maintenance may join those live on its cluster (pure).

A host is in one maintenance at a time, always. Beyond that a cluster runs at most its
limit of maintenances together, and more than one only while the hosts of all of them,
taken out together, still leave every pool what it needs: two decommissions that each
pass alone can together leave a size-3 pool two hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The problems of having these hosts out of service together; none when it is safe.
HostsCheck = Callable[[tuple[str, ...]], list[str]]


@dataclass(frozen=True)
class Holder:
    """A maintenance holding its cluster's lease: its reference, its hosts, its token."""

    reference: str
    hosts: tuple[str, ...]
    token: int = 0

    def describe(self) -> str:
        """E.g. "workflow replace.node2.1a2b3c4d (hosts node2, spare-3.dc1)"."""
        return f"workflow {self.reference} (hosts {', '.join(self.hosts) or 'none'})"


@dataclass(frozen=True)
class Concurrency:
    """How many maintenances a cluster runs together, and the guard of their hosts together.

    check is called only when a second maintenance would join: it may read the cluster.
    """

    limit: int = 1
    check: HostsCheck | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a maintenance may not start now; queueable when waiting for a free lease helps."""

    reason: str
    queueable: bool
    holders: tuple[str, ...] = ()


def join_refusal(reference: str, hosts: Sequence[str], live: Sequence[Holder],
                 concurrency: Concurrency, queued: Sequence[Holder] = ()) -> Refusal | None:
    """Why the maintenance may not join the live ones (None when it may).

    A holder with the same reference is not counted: it is this maintenance's own lease.
    Hosts in a live or queued maintenance are refused whatever the limit, and waiting
    would not help: the same host would be worked on twice.
    """
    others = [h for h in live if h.reference != reference]
    waiting = [("queued in", q) for q in queued if q.reference != reference]
    for verb, holder in [*(("in", h) for h in others), *waiting]:
        shared = sorted(set(hosts) & set(holder.hosts))
        if shared:
            return Refusal(f"host {', '.join(shared)} is already {verb} {holder.describe()}",
                           queueable=False, holders=(holder.reference,))
    if not others:
        return None
    names = tuple(h.reference for h in others)
    held = "; ".join(h.describe() for h in others)
    if len(others) >= concurrency.limit:
        most = f"{concurrency.limit} maintenance{'s' * (concurrency.limit > 1)}"
        return Refusal(f"the cluster is busy: {held} holds its lease (at most {most} at "
                       "once)", queueable=True, holders=names)
    if concurrency.check is None:
        return Refusal(f"the cluster is busy: {held} holds its lease, and no guard can "
                       "tell whether more may join", queueable=True, holders=names)
    together = tuple(dict.fromkeys([*(x for h in others for x in h.hosts), *hosts]))
    problems = concurrency.check(together)
    if problems:
        return Refusal(f"the cluster is busy: together with {held}, "
                       f"{'; '.join(dict.fromkeys(problems))}", queueable=True, holders=names)
    return None
