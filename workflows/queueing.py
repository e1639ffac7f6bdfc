"""Maintenances waiting for their cluster's lease, first in first out, in Redis.

A queued maintenance is its reference in the cluster's list and its entry (plan, deadline)
beside it; a task of its own (START_QUEUED_TASK) looks every few seconds and starts it once
it is first in line and the lease can be taken. Where each reference waits is kept too, so
that `status` finds it by reference alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from ceph_tasks.redis_client import connect
from workflows.concurrency import Holder
from workflows.errors import SubmitError

#: The task that starts a queued maintenance when its turn comes (workflows.starter).
START_QUEUED_TASK = "cephmaint.start_queued"


@dataclass(frozen=True)
class Queued:
    """A maintenance waiting for its cluster: its reference, hosts and recorded entry."""

    reference: str
    hosts: tuple[str, ...]
    entry: dict[str, Any]

    def holder(self) -> Holder:
        """The maintenance as a would-be holder of the lease (for the host checks)."""
        return Holder(self.reference, self.hosts)


class RedisQueue:
    """The queues of maintenances of every cluster, in one Redis."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "cephmaint:queue") -> None:
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "cephmaint:queue") -> RedisQueue:
        """The queues kept in the Redis at url."""
        return cls(connect(url), prefix)

    def _key(self, cluster: str, name: str) -> str:
        return f"{self.prefix}:{{{cluster}}}:{name}"

    def enqueue(self, cluster: str, reference: str, hosts: tuple[str, ...],
                entry: dict[str, Any]) -> int:
        """Put a maintenance last in its cluster's line; its position (1 is next)."""
        record = json.dumps({"hosts": list(hosts), "entry": entry})
        try:
            pipe = self.client.pipeline()
            pipe.hset(self._key(cluster, "entries"), reference, record)
            pipe.hset(f"{self.prefix}:where", reference, cluster)
            pipe.rpush(self._key(cluster, "line"), reference)
            *_, length = pipe.execute()
        except redis.RedisError as e:
            raise SubmitError(f"cannot queue {reference} on cluster {cluster}: {e}") from e
        return int(length)

    def waiting(self, cluster: str) -> list[Queued]:
        """The maintenances waiting on a cluster, first in line first."""
        try:
            line = [r.decode() for r in self.client.lrange(self._key(cluster, "line"), 0, -1)]
            records = self.client.hgetall(self._key(cluster, "entries"))
        except redis.RedisError as e:
            raise SubmitError(f"cannot read the queue of cluster {cluster}: {e}") from e
        found = []
        for reference in line:
            raw = records.get(reference.encode())
            if raw is not None:
                record = json.loads(raw)
                found.append(Queued(reference, tuple(record["hosts"]), record["entry"]))
        return found

    def position(self, reference: str) -> tuple[str, int] | None:
        """The cluster a maintenance waits on and its place in line (1 is next), if queued."""
        try:
            cluster = self.client.hget(f"{self.prefix}:where", reference)
            if cluster is None:
                return None
            place = self.client.lpos(self._key(cluster.decode(), "line"), reference)
        except redis.RedisError as e:
            raise SubmitError(f"cannot read where {reference} is queued: {e}") from e
        return None if place is None else (cluster.decode(), int(place) + 1)

    def remove(self, cluster: str, reference: str) -> None:
        """Take a maintenance out of the line (started, or given up); missing is fine."""
        try:
            pipe = self.client.pipeline()
            pipe.lrem(self._key(cluster, "line"), 0, reference)
            pipe.hdel(self._key(cluster, "entries"), reference)
            pipe.hdel(f"{self.prefix}:where", reference)
            pipe.execute()
        except redis.RedisError as e:
            raise SubmitError(f"cannot take {reference} out of the queue of {cluster}: "
                              f"{e}") from e
