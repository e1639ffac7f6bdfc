"""A guardian that stops looking (its worker died holding it) is sent again, once."""

from __future__ import annotations

import time
import uuid

import pytest
from celery import Celery

from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.context import TaskContext, context_of, install_context
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Inventory
from workflows.engine import worker_app
from workflows.guardian import (
    finalise_on_stop,
    generation_key,
    rescue_guardian,
    start_guardian,
    token_key,
)
from workflows.guardian_watch import watch_of

GRACE = 0.2


@pytest.fixture
def app(redis_url: str) -> Celery:
    """An app whose messages stay in memory, its guardians watched in the test's Redis."""
    made = worker_app(Settings(broker_url="memory://", redis_url=redis_url,
                               rescue_after_seconds=GRACE), name=f"w{uuid.uuid4().hex[:6]}")
    install_context(made, TaskContext(inventory=Inventory(clusters=()), ledger=MemoryLedger(),
                                      executor=FakeExecutor(),
                                      ceph_factory=lambda _: None))  # type: ignore[arg-type,return-value]
    return made


def test_a_guardian_that_missed_its_look_is_sent_again_and_the_old_message_stops(
        app: Celery) -> None:
    ledger = install_ledger(app)
    ref = f"replace.n{uuid.uuid4().hex[:6]}"
    watch = watch_of(app)
    start_guardian(app, ledger, ref, generation=1, interval=0.1)
    first = ledger.recall(ref, token_key())
    assert ref not in watch.overdue()
    time.sleep(0.1 + GRACE + 0.2)  # its worker died: no look came
    assert ref in watch.overdue()
    rescue_guardian(app, ref)
    second = ledger.recall(ref, token_key())
    assert second != first and ref not in watch.overdue()
    # The old message, handed back by the broker at last, is no longer the guardian.
    old = finalise_on_stop.apply(kwargs={"workflow_id": ref, "generation": 1},
                                 task_id=str(first)).get()
    assert old == {"workflow": ref, "superseded_by_task": second}
    watch.forget(ref)


def test_a_workflow_whose_submit_was_rolled_back_is_no_longer_watched(app: Celery) -> None:
    ledger = install_ledger(app)
    ref = f"replace.n{uuid.uuid4().hex[:6]}"
    start_guardian(app, ledger, ref, generation=1, interval=0.0)
    ledger.forget(ref, generation_key())
    time.sleep(GRACE + 0.2)
    rescue_guardian(app, ref)
    assert ref not in watch_of(app).overdue(limit=10_000)


def install_ledger(app: Celery) -> MemoryLedger:
    ledger = context_of(app).ledger
    assert isinstance(ledger, MemoryLedger)
    return ledger
