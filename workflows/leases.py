"""The lease a maintenance holds on its cluster while it lives, in Redis.

Each holder is a key of its own with a time to live: the guardian of the workflow renews
it on every look, and it disappears by itself when nobody does (the workflow's state
deleted, its workers dead past the lease time). Redis's own expiry decides; no two hosts'
clocks are ever compared. A set per cluster lists the holders; a holder whose key expired
is dropped from it on the next read. Every take draws a fencing token from a counter of
the cluster: a renew or release with an older token (a guardian of an earlier generation,
one that lost its lease) is refused.

Keys carry the cluster as a hash tag: one slot per cluster on Redis Cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis

from ceph_tasks.redis_client import connect
from workflows.concurrency import Holder, Refusal
from workflows.errors import ClusterBusy, SubmitError

#: What decides whether a maintenance may join the holders it is shown.
Decide = Callable[[Sequence[Holder]], Refusal | None]

# KEYS: token counter, holder, holders set. ARGV: reference, hosts (JSON), ttl in ms.
_TAKE = """
local token = redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'reference', ARGV[1], 'hosts', ARGV[2], 'token', token,
           'ttl', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return token
"""
# KEYS: holder. ARGV: token.
_RENEW = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], redis.call('HGET', KEYS[1], 'ttl'))
  return 1
end
return 0
"""
# KEYS: holder, holders set. ARGV: token, reference.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[2])
end
return 0
"""


class RedisLeases:
    """The maintenance leases of every cluster, in one Redis."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "cephmaint:lease") -> None:
        self.client, self.prefix = client, prefix
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, prefix: str = "cephmaint:lease") -> RedisLeases:
        """The leases kept in the Redis at url."""
        return cls(connect(url), prefix)

    def _key(self, cluster: str, name: str) -> str:
        return f"{self.prefix}:{{{cluster}}}:{name}"

    def _holder_key(self, cluster: str, reference: str) -> str:
        return self._key(cluster, f"holder:{reference}")

    def holders(self, cluster: str) -> list[Holder]:
        """The maintenances holding the cluster's lease now, by reference."""
        try:
            return self._holders(self.client, cluster)
        except redis.RedisError as e:
            raise _failure(f"cannot read the leases of cluster {cluster}", e) from e

    def take(self, cluster: str, reference: str, hosts: Iterable[str], ttl: float,
             decide: Decide, *, replace_own: bool = False) -> int:
        """Take a lease on the cluster for ttl seconds, if decide lets it join; its token.

        ClusterBusy when decide refuses, or when the reference holds a lease already and
        replace_own is false (a second start of the same maintenance). The decision and the
        take are one: a holder that came or went meanwhile makes the decision run again.
        """
        hosts = tuple(hosts)
        index = self._key(cluster, "holders")
        try:
            self._prune(cluster)
            with self.client.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(index)
                        live = self._holders(pipe, cluster)
                        self._refuse(cluster, reference, live, decide, replace_own)
                        pipe.multi()
                        self._take(keys=[self._key(cluster, "token"),
                                         self._holder_key(cluster, reference), index],
                                   args=[reference, json.dumps(list(hosts)),
                                         max(1, int(ttl * 1000))], client=pipe)
                        [token] = pipe.execute()
                        return int(token)
                    except redis.WatchError:
                        continue
        except redis.RedisError as e:
            raise _failure(f"cannot take the lease of cluster {cluster} for {reference}",
                           e) from e

    def renew(self, cluster: str, reference: str, token: int) -> bool:
        """Extend a lease by its time to live; False when it is gone or taken anew."""
        try:
            done = self._renew(keys=[self._holder_key(cluster, reference)], args=[token])
        except redis.RedisError as e:
            raise _failure(f"cannot renew the lease of {reference} on {cluster}", e) from e
        return bool(done)

    def release(self, cluster: str, reference: str, token: int) -> bool:
        """Give a lease up; False when it was gone already or is held with another token."""
        try:
            done = self._release(keys=[self._holder_key(cluster, reference),
                                       self._key(cluster, "holders")], args=[token, reference])
        except redis.RedisError as e:
            raise _failure(f"cannot release the lease of {reference} on {cluster}", e) from e
        return bool(done)

    def _holders(self, client: Any, cluster: str) -> list[Holder]:
        # client: the Redis, or a pipeline watching (which answers at once, untyped).
        members = sorted(m.decode() for m in client.smembers(self._key(cluster, "holders")))
        found = []
        for reference in members:
            raw = client.hgetall(self._holder_key(cluster, reference))
            if raw:
                found.append(Holder(reference, tuple(json.loads(raw[b"hosts"])),
                                    int(raw[b"token"])))
        return found

    def _prune(self, cluster: str) -> None:
        # A holder's key and its membership are written together by one script, so a member
        # without a key has expired: it is dropped before the decision.
        index = self._key(cluster, "holders")
        for member in self.client.smembers(index):
            if not self.client.exists(self._holder_key(cluster, member.decode())):
                self.client.srem(index, member)

    @staticmethod
    def _refuse(cluster: str, reference: str, live: Sequence[Holder], decide: Decide,
                replace_own: bool) -> None:
        if not replace_own and any(h.reference == reference for h in live):
            raise ClusterBusy(cluster, reference, f"workflow {reference} holds the lease "
                              "already: it was started before", queueable=False,
                              holders=(reference,))
        refusal = decide(live)
        if refusal is not None:
            raise ClusterBusy(cluster, reference, refusal.reason,
                              queueable=refusal.queueable, holders=refusal.holders)


def _failure(message: str, error: redis.RedisError) -> SubmitError:
    return SubmitError(f"{message}: {error}")
