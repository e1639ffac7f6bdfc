"""Logins of `cephmaint serve`, kept server-side in the state Redis.

The browser holds only a random id (256 bits); Redis holds, under the SHA-256 of that id,
the session's user, role, CSRF token and times, so that reading Redis (a dump, a replica)
gives no session away. A session lasts `lifetime` seconds after its last use: its last use
is checked against the clock passed in, and its key's TTL renewed at each use, so that
Redis forgets it as well. A set per user lists their sessions, so that removing a user,
or changing their role or password, ends them all at once.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from cephmaint.web.accounts import Role
from dyrygent.errors import StoreError, StoreUnavailable

KEY_PREFIX = "cephmaint:web:"
#: Longer than any id made here: anything longer is not worth a Redis round trip.
_MAX_ID = 128

Clock = Callable[[], float]


@dataclass(frozen=True)
class UserSession:
    """One login: whose, with what role, its CSRF token and when it began and was last used."""

    key: str
    user: str
    role: Role
    csrf: str
    created: float
    used: float
    #: The password hash's fingerprint at login (Account.stamp).
    stamp: str


class SessionStore:
    """The sessions of every user, in one Redis."""

    def __init__(self, client: redis.Redis[bytes], clock: Clock, lifetime: float,
                 prefix: str = KEY_PREFIX) -> None:
        self.client, self.clock, self.lifetime, self.prefix = client, clock, lifetime, prefix
        self._touch = client.register_script(_TOUCH)
        self._flash = client.register_script(_FLASH)

    def key_of(self, session_id: str) -> str:
        """The Redis key of a session: a hash of its id, never the id itself."""
        return f"{self.prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"

    def _user_key(self, user: str) -> str:
        return f"{self.prefix}user:{user}"

    @property
    def _ttl(self) -> int:
        return max(1, math.ceil(self.lifetime))

    def open(self, user: str, role: Role, stamp: str) -> tuple[str, UserSession]:
        """A new session of user: its id (for the cookie, kept nowhere else) and itself."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = UserSession(self.key_of(session_id), user, role, secrets.token_urlsafe(32),
                              now, now, stamp)
        fields: dict[str | bytes, str | bytes | int | float] = {
            "user": user, "role": role.value, "csrf": session.csrf, "created": repr(now),
            "used": repr(now), "stamp": stamp}
        with _reaching("open a session of", user):
            listed = self._user_key(user)
            # Forget the ids of sessions Redis has already expired: the set stays small.
            known = list(self.client.smembers(listed))
            check = self.client.pipeline(transaction=False)
            for key in known:
                check.exists(key)
            gone = [k for k, there in zip(known, check.execute(), strict=True) if not there]
            pipe = self.client.pipeline()
            pipe.hset(session.key, mapping=fields)
            pipe.expire(session.key, self._ttl)
            if gone:
                pipe.srem(listed, *gone)
            pipe.sadd(listed, session.key)
            pipe.expire(listed, self._ttl)
            pipe.execute()
        return session_id, session

    def find(self, session_id: str) -> UserSession | None:
        """The live session with this id, its use renewed; None when there is none (never
        was, ended, or unused for longer than the lifetime)."""
        if not session_id or len(session_id) > _MAX_ID:
            return None
        key = self.key_of(session_id)
        with _reaching("read a session of", "a user"):
            raw = self.client.hgetall(key)
        if not raw:
            return None
        session = _decode(key, raw)
        if session is None:
            self.end(key)
            return None
        now = self.clock()
        if now - session.used > self.lifetime:
            self.end(key)
            return None
        with _reaching("renew a session of", session.user):
            # Only a session still there is renewed: one ended meanwhile must stay ended,
            # not come back as a hash with a single field.
            self._touch(keys=[key, self._user_key(session.user)], args=[repr(now), self._ttl])
        return UserSession(key, session.user, session.role, session.csrf, session.created,
                           now, session.stamp)

    def flash(self, key: str, text: str) -> None:
        """Keep a line for the session's next page (what an action did), by its key."""
        with _reaching("keep a message for", "a user"):
            # As in find: a session ended meanwhile must not come back with one field.
            self._flash(keys=[key], args=[text])

    def take_flash(self, key: str) -> str:
        """The line kept for the session's next page, taken (empty when none)."""
        with _reaching("read a message for", "a user"):
            pipe = self.client.pipeline()
            pipe.hget(key, "flash")
            pipe.hdel(key, "flash")
            kept, _ = pipe.execute()
        return kept.decode() if kept else ""

    def end(self, key: str) -> None:
        """End a session, by its key; one already gone is fine."""
        with _reaching("end a session of", "a user"):
            self.client.delete(key)

    def end_all(self, user: str) -> int:
        """End every session of user; how many there were."""
        listed = self._user_key(user)
        with _reaching("end the sessions of", user):
            keys = [k.decode() for k in self.client.smembers(listed)]
            pipe = self.client.pipeline()
            for key in keys:
                pipe.delete(key)
            pipe.delete(listed)
            ended = pipe.execute()[:-1]
        return sum(int(n) for n in ended)

_TOUCH = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], 'used', ARGV[1])
redis.call('expire', KEYS[1], ARGV[2])
redis.call('expire', KEYS[2], ARGV[2])
return 1
"""

_FLASH = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], 'flash', ARGV[1])
return 1
"""


def _decode(key: str, raw: dict[bytes, bytes]) -> UserSession | None:
    """A session read back; None when it is not one this code wrote."""
    try:
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return UserSession(key, fields["user"], Role(fields["role"]), fields["csrf"],
                           float(fields["created"]), float(fields["used"]), fields["stamp"])
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


@contextmanager
def _reaching(doing: str, user: str) -> Iterator[None]:
    """Redis's errors as the store's: cannot reach it, or it refused."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as e:
        raise StoreUnavailable(f"cannot reach the state Redis to {doing} {user}: {e}") from e
    except redis.RedisError as e:
        raise StoreError(f"the state Redis refused to {doing} {user}: {e}") from e
