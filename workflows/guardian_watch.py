"""Guardians whose looks stopped: one whose message a dead worker holds is sent again.

A guardian repeats through Celery retries: a worker killed while it holds the message
would keep it away until the broker hands it back (an hour with Redis's default
visibility timeout), and a cancel meanwhile would restore nothing. So each look expects
the next within its interval plus a grace, in a sorted set timed on Redis's own clock (the
one every admin host agrees on); every worker's watch thread sends a fresh guardian for
one overdue, under a new token, which the old message, if it ever comes back, finds is no
longer the current one.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from celery import Celery, signals

from ceph_tasks.app import settings_of
from ceph_tasks.errors import ConfigurationError
from ceph_tasks.redis_client import connect

log = logging.getLogger(__name__)

#: The sorted set of watched workflows, scored by when their guardian must look next.
WATCH_KEY = "cephmaint:guardians"


class GuardianWatch:
    """When each workflow's guardian is due to look next, in Redis."""

    def __init__(self, client: redis.Redis) -> None:  # type: ignore[type-arg]
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> GuardianWatch:
        """The watch kept in the Redis at url."""
        return cls(connect(url, decode_responses=True))

    def _now(self) -> float:
        seconds, micros = self.client.time()
        return float(seconds) + float(micros) / 1e6

    def expect(self, workflow_id: str, within: float) -> None:
        """The workflow's guardian looks again within seconds."""
        self.client.zadd(WATCH_KEY, {workflow_id: self._now() + within})

    def forget(self, workflow_id: str) -> None:
        """The workflow's guardian is done: nothing more to watch."""
        self.client.zrem(WATCH_KEY, workflow_id)

    def overdue(self, limit: int = 100) -> list[str]:
        """Workflows whose guardian missed its look."""
        return list(self.client.zrangebyscore(WATCH_KEY, "-inf", self._now(), start=0,
                                              num=limit))


def watch_of(app: Celery) -> GuardianWatch:
    """The guardian watch of a cephmaint app (in its settings' Redis)."""
    return GuardianWatch.from_url(settings_of(app).redis_url)


def watch_in_thread(app: Celery, rescue: Any, interval: float) -> threading.Thread:
    """Start the thread that calls rescue(app, workflow_id) for each overdue guardian."""
    def run() -> None:
        watch = watch_of(app)
        while True:
            time.sleep(interval)
            try:
                for workflow_id in watch.overdue():
                    rescue(app, workflow_id)
            except redis.ConnectionError as e:  # Redis away: the next round tries again
                log.warning("could not look for guardians that stopped: %s", e)
            except Exception:
                log.exception("could not look for guardians that stopped")

    thread = threading.Thread(target=run, name="cephmaint-guardian-watch", daemon=True)
    thread.start()
    return thread


def on_worker_ready(rescue: Any, interval: float) -> None:
    """Watch the guardians from every cephmaint worker, once it is ready."""
    def ready(sender: Any = None, **_: Any) -> None:
        app = getattr(sender, "app", None)
        if app is None:
            return
        try:
            settings_of(app)
        except ConfigurationError:
            return  # not a cephmaint app
        watch_in_thread(app, rescue, interval)

    signals.worker_ready.connect(ready, weak=False)
