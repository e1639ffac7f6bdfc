"""Celery app of the integration tests: workers import it, tests build their own with make_app."""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery

from dyrygent.processor import Settings
from dyrygent.tasks import register_workflow_processor


def make_app(broker: str, state: str, prefix: str, queue: str, visibility: float = 5,
             lease: float = 120, tick_rescue: float = 30) -> Celery:
    """A Celery app with the test tasks, a dyrygent processor and one private queue.

    visibility: Redis's visibility timeout; lease: the running nodes' lease; tick_rescue:
    how overdue a tick message is before another worker runs the tick.
    """
    app = Celery(f"dytest-{prefix}", broker=broker, backend=state, set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_default_queue=queue, task_acks_late=True, task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1, result_expires=600, worker_hijack_root_logger=False,
        # A killed worker's unacked Redis messages come back after visibility_timeout
        # seconds; the sweep runs every second so tests need not wait for the defaults.
        # Test tasks are far shorter than the timeout, so nothing is restored while it runs.
        broker_transport_options={"visibility_timeout": visibility,
                                  "unacked_restore_interval": 1,
                                  "unacked_restore_throttle": 1, "unacked_mutex_expire": 10},
        broker_connection_retry_on_startup=True,
    )
    processor = register_workflow_processor(
        app, redis_url=state, prefix=prefix,
        settings=Settings(tick_interval=0.5, unconfirmed_after=3.0, lost_after=5.0, batch=50,
                          lease=lease, tick_rescue=tick_rescue))
    counter = redis.Redis.from_url(state, decode_responses=True)

    @processor.hooks.on_finish
    def finished(workflow_id: str, state: Any) -> None:
        """Hooks run where the transition happens (here: in the workers)."""
        counter.rpush(f"{prefix}:finished", f"{workflow_id} {state}")

    def count(task: Any, tag: str) -> None:
        # Body executions per node (dyrygent task ids without the attempt) or per tag.
        tid = str(task.request.id)
        key = tid.rsplit("-", 1)[0] if tid.startswith("dy-") else tag
        counter.hincrby(f"{prefix}:execs", key, 1)

    @app.task(name="dytest.t", shared=False, bind=True)
    def t(self: Any, *args: Any, tag: str = "") -> list[Any]:
        """Record an execution and return the tag with what it received."""
        count(self, tag)
        return [tag, list(args)]

    @app.task(name="dytest.slow", shared=False, bind=True)
    def slow(self: Any, *args: Any, tag: str = "", seconds: float = 1.0) -> list[Any]:
        """Like t, sleeping inside the body."""
        count(self, tag)
        time.sleep(seconds)
        return [tag, list(args)]

    @app.task(name="dytest.boom", shared=False, bind=True)
    def boom(self: Any, *args: Any, tag: str = "") -> str:
        """Fail until the test sets the heal flag."""
        count(self, tag)
        if counter.get(f"{prefix}:heal:{tag}"):
            return f"healed {tag}"
        raise ValueError(f"boom {tag}")

    @app.task(name="dytest.until", shared=False, bind=True, max_retries=None)
    def until(self: Any, *args: Any, tag: str = "", times: int = 3,
              countdown: float = 0.1) -> str:
        """Repeat through self.retry until called `times` times ('wait until healthy')."""
        n = counter.hincrby(f"{prefix}:tries", tag, 1)
        if n < times:
            raise self.retry(countdown=countdown)
        count(self, tag)
        return f"{tag} after {n}"

    return app


if os.environ.get("DYRYGENT_TEST_STATE"):
    app = make_app(os.environ["DYRYGENT_TEST_BROKER"], os.environ["DYRYGENT_TEST_STATE"],
                   os.environ["DYRYGENT_TEST_PREFIX"], os.environ["DYRYGENT_TEST_QUEUE"],
                   float(os.environ.get("DYRYGENT_TEST_VISIBILITY", "5")),
                   float(os.environ.get("DYRYGENT_TEST_LEASE", "120")),
                   float(os.environ.get("DYRYGENT_TEST_TICK_RESCUE", "30")))
