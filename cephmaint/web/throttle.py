"""Failed logins, counted per user name and per client address over a sliding window.

Past `limit` failures within `window` seconds, for the name or for the address, a login
is refused without looking at the password, right or wrong, until enough of them are
older than the window. Each count is a sorted set in Redis scored by the clock passed in,
with a TTL of one window, so that nothing outlives its use. Refused attempts are not
counted: someone who keeps trying does not keep the owner out for longer.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from dyrygent.errors import StoreError, StoreUnavailable

LIMIT = 5
WINDOW_SECONDS = 300.0


def address_group(address: str) -> str:
    """What an address is counted as: itself, or its /64 for IPv6 (one host's share)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginThrottle:
    """The failed logins of every user name and client address, in one Redis."""

    def __init__(self, client: redis.Redis[bytes], clock: Callable[[], float], prefix: str,
                 limit: int = LIMIT, window: float = WINDOW_SECONDS) -> None:
        self.client, self.clock, self.prefix = client, clock, prefix
        self.limit, self.window = limit, window

    def _keys(self, user: str, address: str) -> tuple[str, str]:
        # Names are hashed: anything may be typed in the form, of any length.
        name = hashlib.sha256(user.casefold().encode()).hexdigest()[:32]
        return (f"{self.prefix}failures:user:{name}",
                f"{self.prefix}failures:address:{address_group(address)}")

    def wait(self, user: str, address: str) -> float:
        """Seconds before user may try to log in from address again; 0: now."""
        now = self.clock()
        longest = 0.0
        with _reaching():
            for key in self._keys(user, address):
                self.client.zremrangebyscore(key, "-inf", now - self.window)
                times = [at for _, at in self.client.zrange(key, 0, -1, withscores=True)]
                if len(times) >= self.limit:
                    # Allowed again once fewer than `limit` failures are left in the window.
                    longest = max(longest, times[len(times) - self.limit] + self.window - now)
        return max(0.0, longest)

    def failed(self, user: str, address: str) -> None:
        """Count a failed login of user from address."""
        now = self.clock()
        with _reaching():
            pipe = self.client.pipeline()
            for key in self._keys(user, address):
                pipe.zadd(key, {f"{now!r}:{secrets.token_hex(4)}": now})
                pipe.expire(key, max(1, math.ceil(self.window)))
            pipe.execute()

    def succeeded(self, user: str) -> None:
        """Forget the failures of user: they logged in. The address's stay: one account's
        success must not clear the way to guess another's password."""
        with _reaching():
            self.client.delete(self._keys(user, "")[0])


@contextmanager
def _reaching() -> Iterator[None]:
    """Redis's errors as the store's: cannot reach it, or it refused."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as e:
        raise StoreUnavailable(f"cannot reach the state Redis to count failed logins: "
                               f"{e}") from e
    except redis.RedisError as e:
        raise StoreError(f"the state Redis refused to count failed logins: {e}") from e
