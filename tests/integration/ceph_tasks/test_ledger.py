"""The ledger keeps the first record of a maintenance's changes, in memory and in real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from ceph_tasks.errors import InvalidInput, LedgerError
from ceph_tasks.ledger import Ledger, MemoryLedger, RedisLedger

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    if request.param == "memory":
        yield MemoryLedger()
        return
    url: str = request.getfixturevalue("redis_url")
    yield RedisLedger(redis.Redis.from_url(url), prefix=f"test:{uuid.uuid4().hex}")


def test_the_first_value_recorded_wins_and_is_returned_to_every_writer(ledger: Ledger) -> None:
    assert ledger.remember("wf-1", "weights", {"4": 1.0, "5": 0.5}) == {"4": 1.0, "5": 0.5}
    assert ledger.remember("wf-1", "weights", {"4": 0.0, "5": 0.0}) == {"4": 1.0, "5": 0.5}
    assert ledger.recall("wf-1", "weights") == {"4": 1.0, "5": 0.5}


def test_a_note_replaces_what_was_there(ledger: Ledger) -> None:
    ledger.note("wf-1", "progress:t1", {"step": 1})
    ledger.note("wf-1", "progress:t1", {"step": 2})
    assert ledger.recall("wf-1", "progress:t1") == {"step": 2}
    assert ledger.remember("wf-1", "progress:t1", {"step": 3}) == {"step": 2}


def test_references_are_kept_apart(ledger: Ledger) -> None:
    ledger.remember("wf-1", "flags", ["noout"])
    assert ledger.recall("wf-2", "flags") is None
    assert ledger.entries("wf-2") == {}
    assert ledger.entries("wf-1") == {"flags": ["noout"]}


def test_forget_drops_an_entry_and_a_missing_one_is_fine(ledger: Ledger) -> None:
    ledger.remember("wf-1", "notified", True)
    ledger.forget("wf-1", "notified")
    ledger.forget("wf-1", "notified")
    assert ledger.recall("wf-1", "notified") is None
    assert ledger.remember("wf-1", "notified", False) is False


def test_values_that_are_not_json_are_refused_and_nothing_is_written(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="'weights' of wf-1 is not JSON"):
        ledger.remember("wf-1", "weights", {1.0, 2.0})
    assert ledger.entries("wf-1") == {}


def test_a_malformed_reference_is_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput, match="not a valid reference"):
        ledger.remember("wf 1; rm", "k", 1)


def test_an_unreachable_redis_is_a_ledger_error_naming_the_entry() -> None:
    ledger = RedisLedger(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5))
    with pytest.raises(LedgerError, match="cannot record 'weights' of wf-1") as caught:
        ledger.remember("wf-1", "weights", {})
    assert isinstance(caught.value.__cause__, redis.RedisError)
