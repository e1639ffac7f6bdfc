"""Redis clients from one URL: a single server (redis://, rediss://, unix://) or a group
watched by Redis Sentinel (sentinel://), for the ledger, the leases, the queues, the
workflow state and Celery alike.

A Sentinel URL lists the sentinels in Celery's form, and names the primary they watch:

    sentinel://[user:password@]host:port/db;sentinel://host:port/db;...?master_name=NAME

The user and password are the data nodes' (the sentinels are asked without them); the
database is the first sentinel's. A client made from it asks the sentinels where the
primary is, and asks again when its connection breaks, so a failover costs a reconnect.
See https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.sentinel

from ceph_tasks.errors import ConfigurationError
from ceph_tasks.http import strip_credentials

SENTINEL_SCHEME = "sentinel"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://", f"{SENTINEL_SCHEME}://")


@dataclass(frozen=True)
class SentinelUrl:
    """A Sentinel URL, parsed: where the sentinels are and what they watch."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None

    def for_celery(self) -> str:
        """The URL in Celery's form (no master name: Celery takes it as an option)."""
        login = ""
        if self.password is not None:
            login = f"{self.username or ''}:{self.password}@"
        return ";".join(f"{SENTINEL_SCHEME}://{login}{host}:{port}/{self.db}"
                        for host, port in self.sentinels)


def is_sentinel(url: str) -> bool:
    """Whether url names a Sentinel group."""
    return url.startswith(f"{SENTINEL_SCHEME}://")


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Parse a sentinel:// URL; a ConfigurationError names what is wrong in it."""
    chunks = [c for c in url.split(";") if c]
    masters: list[str] = []
    sentinels: list[tuple[str, int]] = []
    db, username, password = 0, None, None
    for number, chunk in enumerate(chunks, 1):
        parts = urlsplit(chunk)
        if parts.scheme != SENTINEL_SCHEME:
            raise ConfigurationError(f"Redis URL part {number} is not {SENTINEL_SCHEME}://: "
                                     f"every part of a Sentinel URL names a sentinel")
        try:
            port = parts.port or 26379
        except ValueError as e:
            raise ConfigurationError(f"Redis URL part {number}: bad port ({e})") from e
        if not parts.hostname:
            raise ConfigurationError(f"Redis URL part {number} names no sentinel host")
        sentinels.append((parts.hostname, port))
        masters += parse_qs(parts.query).get("master_name", [])
        if number == 1:
            path = parts.path.strip("/")
            if path and not path.isdigit():
                raise ConfigurationError(f"Redis URL: database {path!r} is not a number")
            db = int(path or 0)
            username = unquote(parts.username) if parts.username else None
            password = unquote(parts.password) if parts.password is not None else None
    if len(set(masters)) != 1:
        raise ConfigurationError("a Sentinel URL names the primary its sentinels watch "
                                 "once, as ?master_name=NAME")
    return SentinelUrl(tuple(sentinels), masters[0], db, username, password)


def connect(url: str, **options: Any) -> redis.Redis:  # type: ignore[type-arg]
    """A client of the Redis at url (its primary, for a Sentinel group)."""
    if not is_sentinel(url):
        try:
            return redis.Redis.from_url(url, **options)
        except ValueError as e:
            raise ConfigurationError(f"bad Redis URL {strip_credentials(url)}: {e}") from e
    parsed = parse_sentinel_url(url)
    login: dict[str, Any] = {"username": parsed.username, "password": parsed.password}
    sentinels = redis.sentinel.Sentinel(
        list(parsed.sentinels), db=parsed.db,
        **{key: value for key, value in login.items() if value}, **options)
    return sentinels.master_for(parsed.master_name)


def celery_options(url: str) -> tuple[str, dict[str, Any]]:
    """The URL to give Celery for url, and the transport options it needs with it."""
    if not is_sentinel(url):
        return url, {}
    parsed = parse_sentinel_url(url)
    return parsed.for_celery(), {"master_name": parsed.master_name}
