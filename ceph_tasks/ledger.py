"""What a maintenance changed, recorded durably so that it can be restored.

Tasks are re-run (Celery retries, operator retries, re-delivery after a crash), so "the
state before" must be captured exactly once: the first run records it, later runs read
it back. Every entry belongs to a maintenance reference (a workflow id, a ticket key).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

import redis

from ceph_tasks.errors import LedgerError, LedgerUnavailable
from ceph_tasks.redis_client import connect
from ceph_tasks.reference import check_reference

#: JSON-compatible values only: the ledger outlives the processes that wrote it.
Json = Any

#: Entries outlive any maintenance but not forever: a month after the last write.
RETENTION_SECONDS = 30 * 24 * 3600
#: The format of the entries this code writes, and the newest it reads: each entry is
#: {"format": 1, "value": ...}. An entry without it was written before formats were
#: numbered (format 0): the value itself, read as it is.
FORMAT = 1


class Ledger(Protocol):
    """A durable map per maintenance reference, whose entries are written once."""

    def remember(self, reference: str, key: str, value: Json) -> Json:
        """Store value under key unless an entry is there; return the stored entry."""
        ...

    def recall(self, reference: str, key: str) -> Json | None:
        """The entry under key, or None."""
        ...

    def note(self, reference: str, key: str, value: Json) -> None:
        """Store value under key, replacing what is there: for news, not for history."""
        ...

    def forget(self, reference: str, key: str) -> None:
        """Drop the entry under key; dropping a missing one is fine."""
        ...

    def entries(self, reference: str) -> dict[str, Json]:
        """Every entry of a reference."""
        ...


class MemoryLedger:
    """A ledger in this process's memory, for tests and dry runs."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def remember(self, reference: str, key: str, value: Json) -> Json:
        """Store value under key unless an entry is there; return the stored entry."""
        encoded = _encode(check_reference(reference), key, value)
        with self._lock:
            stored = self._data.setdefault(reference, {}).setdefault(key, encoded)
        return decode(reference, key, stored)

    def note(self, reference: str, key: str, value: Json) -> None:
        """Store value under key, replacing what is there: for news, not for history."""
        encoded = _encode(check_reference(reference), key, value)
        with self._lock:
            self._data.setdefault(reference, {})[key] = encoded

    def recall(self, reference: str, key: str) -> Json | None:
        """The entry under key, or None."""
        with self._lock:
            stored = self._data.get(reference, {}).get(key)
        return None if stored is None else decode(reference, key, stored)

    def forget(self, reference: str, key: str) -> None:
        """Drop the entry under key; dropping a missing one is fine."""
        with self._lock:
            self._data.get(reference, {}).pop(key, None)

    def entries(self, reference: str) -> dict[str, Json]:
        """Every entry of a reference."""
        with self._lock:
            return {k: decode(reference, k, v) for k, v in self._data.get(reference, {}).items()}


class RedisLedger:
    """A ledger in Redis: one hash per reference, written with HSETNX."""

    def __init__(self, client: redis.Redis[bytes], prefix: str = "cephmaint:ledger") -> None:
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str) -> RedisLedger:
        """A ledger on the Redis at url."""
        return cls(connect(url))

    def _key(self, reference: str) -> str:
        # The braces make the reference a hash tag: one slot per maintenance on Redis Cluster.
        return f"{self.prefix}:{{{check_reference(reference)}}}"

    def remember(self, reference: str, key: str, value: Json) -> Json:
        """Store value under key unless an entry is there; return the stored entry."""
        name = self._key(reference)
        try:
            pipe = self.client.pipeline()
            pipe.hsetnx(name, key, _encode(reference, key, value))
            pipe.hget(name, key)
            pipe.expire(name, RETENTION_SECONDS)
            _, stored, _ = pipe.execute()
        except redis.RedisError as e:
            raise _failure(f"cannot record {key!r} of {reference}: {e}", e) from e
        return decode(reference, key, stored)

    def note(self, reference: str, key: str, value: Json) -> None:
        """Store value under key, replacing what is there: for news, not for history."""
        name = self._key(reference)
        try:
            pipe = self.client.pipeline()
            pipe.hset(name, key, _encode(reference, key, value))
            pipe.expire(name, RETENTION_SECONDS)
            pipe.execute()
        except redis.RedisError as e:
            raise _failure(f"cannot note {key!r} of {reference}: {e}", e) from e

    def recall(self, reference: str, key: str) -> Json | None:
        """The entry under key, or None."""
        try:
            stored = self.client.hget(self._key(reference), key)
        except redis.RedisError as e:
            raise _failure(f"cannot read {key!r} of {reference}: {e}", e) from e
        return None if stored is None else decode(reference, key, stored)

    def forget(self, reference: str, key: str) -> None:
        """Drop the entry under key; dropping a missing one is fine."""
        try:
            self.client.hdel(self._key(reference), key)
        except redis.RedisError as e:
            raise _failure(f"cannot drop {key!r} of {reference}: {e}", e) from e

    def entries(self, reference: str) -> dict[str, Json]:
        """Every entry of a reference."""
        try:
            raw = self.client.hgetall(self._key(reference))
        except redis.RedisError as e:
            raise _failure(f"cannot read the entries of {reference}: {e}", e) from e
        return {k.decode(): decode(reference, k.decode(), v) for k, v in raw.items()}


def _encode(reference: str, key: str, value: Json) -> str:
    if not key:
        raise LedgerError(f"an entry of {reference} needs a non-empty key")
    try:
        return json.dumps({"format": FORMAT, "value": value}, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise LedgerError(f"entry {key!r} of {reference} is not JSON: {e}") from e


def decode(reference: str, key: str, stored: str | bytes) -> Json:
    """An entry's value, of any format this code reads; LedgerError naming it otherwise."""
    try:
        data = json.loads(stored)
    except ValueError as e:
        raise LedgerError(f"entry {key!r} of {reference} is not JSON: {e}") from e
    if not (isinstance(data, dict) and data.keys() == {"format", "value"}):
        return data  # format 0
    if not isinstance(data["format"], int) or data["format"] > FORMAT:
        raise LedgerError(f"entry {key!r} of {reference} has format {data['format']!r}; this "
                          f"cephmaint reads formats 0 to {FORMAT}: upgrade it")
    return data["value"]


def _failure(message: str, error: redis.RedisError) -> LedgerError:
    # An unreachable Redis is worth telling apart: the operator can try again later.
    unreachable = isinstance(error, redis.ConnectionError | redis.TimeoutError)
    return (LedgerUnavailable if unreachable else LedgerError)(message)
