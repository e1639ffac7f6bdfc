"""Every maintenance started on each cluster, newest last, with who started it and when.

`cephmaint list` reads it to find the maintenances of a cluster without knowing their
references: a sorted set per cluster (score: the start time) and, beside it, who started
each. A maintenance is added when it starts (a queued one when it leaves its queue) and
taken out only when its start is rolled back; readers skip those whose workflow state has
expired (the engine keeps finished workflows a week).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

from ceph_tasks.redis_client import connect
from workflows.errors import SubmitError


@dataclass(frozen=True)
class Started:
    """A maintenance's start: its reference, the time (Unix seconds) and who started it."""

    reference: str
    at: float
    by: str


class RedisRegistry:
    """The started maintenances of every cluster, in one Redis."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "cephmaint:started") -> None:
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "cephmaint:started") -> RedisRegistry:
        """The registry kept in the Redis at url."""
        return cls(connect(url), prefix)

    def _key(self, cluster: str, name: str) -> str:
        return f"{self.prefix}:{{{cluster}}}:{name}"

    def add(self, cluster: str, started: Started) -> None:
        """Record a start; a maintenance started again (by recover) keeps its first."""
        try:
            pipe = self.client.pipeline()
            pipe.zadd(self._key(cluster, "order"), {started.reference: started.at}, nx=True)
            pipe.hsetnx(self._key(cluster, "by"), started.reference, started.by)
            pipe.execute()
        except redis.RedisError as e:
            raise SubmitError(f"cannot record the start of {started.reference} on cluster "
                              f"{cluster}: {e}") from e

    def remove(self, cluster: str, references: Sequence[str]) -> None:
        """Forget maintenances (a rolled-back start, a state long expired); missing is fine."""
        if not references:
            return
        try:
            pipe = self.client.pipeline()
            pipe.zrem(self._key(cluster, "order"), *references)
            pipe.hdel(self._key(cluster, "by"), *references)
            pipe.execute()
        except redis.RedisError as e:
            raise SubmitError(f"cannot forget {', '.join(references)} on cluster {cluster}: "
                              f"{e}") from e

    def started(self, cluster: str, since: float | None = None) -> list[Started]:
        """The maintenances started on cluster (since a time, if given), oldest first."""
        try:
            order = self.client.zrangebyscore(self._key(cluster, "order"),
                                              "-inf" if since is None else since, "+inf",
                                              withscores=True)
            by = self.client.hgetall(self._key(cluster, "by"))
        except redis.RedisError as e:
            raise SubmitError(f"cannot read the maintenances of cluster {cluster}: {e}") from e
        return [Started(raw.decode(), float(at), by.get(raw, b"").decode())
                for raw, at in order]
