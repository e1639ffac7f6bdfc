"""The ledger's copies on the cluster: which records are copied, when, and how they read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ceph_tasks.decisions.movers import BALANCER_KEY
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.decisions.reweight_plan import ledger_key as weight_key
from ceph_tasks.errors import LedgerError
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.ledger_mirror import CLUSTER_KEY, MirroredLedger, mirror_key, parse_records


class Copies:
    """Copies kept in a dict, per cluster (ConfigKeyMirror is the real one)."""

    def __init__(self) -> None:
        self.by_cluster: dict[str, dict[str, Any]] = {}
        self.one: dict[str, Copies.One] = {}

    def of(self, cluster: str) -> Copies.One:
        if cluster not in self.one:
            self.one[cluster] = Copies.One(self.by_cluster.setdefault(cluster, {}))
        return self.one[cluster]

    class One:
        def __init__(self, store: dict[str, Any]) -> None:
            self.store = store
            self.dropped: list[str] = []

        def put(self, reference: str, key: str, value: Any) -> None:
            self.store[mirror_key(reference, key)] = value

        def drop(self, reference: str, key: str) -> None:
            self.dropped.append(mirror_key(reference, key))
            self.store.pop(mirror_key(reference, key), None)

        def records(self) -> dict[str, dict[str, Any]]:
            return parse_records({k: json.dumps(v) for k, v in self.store.items()})


@pytest.fixture
def copies() -> Copies:
    return Copies()


@pytest.fixture
def ledger(copies: Copies) -> MirroredLedger:
    primary = MemoryLedger()
    primary.remember("ref-1", CLUSTER_KEY, "lab")
    return MirroredLedger(primary, copies.of, restorable_key)


def test_a_restorable_record_is_copied_to_its_cluster_as_first_stored(
        ledger: MirroredLedger, copies: Copies) -> None:
    assert ledger.remember("ref-1", weight_key(4), 1.0) == 1.0
    assert ledger.remember("ref-1", weight_key(4), 0.5) == 1.0  # written once
    assert copies.by_cluster == {"lab": {"cephmaint/ledger/ref-1/weights:4": 1.0}}


def test_progress_and_bookkeeping_stay_in_the_ledger_only(
        ledger: MirroredLedger, copies: Copies) -> None:
    ledger.note("ref-1", "progress:abc", {"step": 1})
    ledger.remember("ref-1", "plan", {"kind": "replace"})
    assert copies.by_cluster == {} and ledger.recall("ref-1", "plan") == {"kind": "replace"}


def test_a_forgotten_record_loses_its_copy_and_settling_drops_the_rest(
        ledger: MirroredLedger, copies: Copies) -> None:
    ledger.remember("ref-1", weight_key(4), 1.0)
    ledger.note("ref-1", BALANCER_KEY, {"active": True})
    ledger.forget("ref-1", BALANCER_KEY)
    assert copies.by_cluster["lab"] == {"cephmaint/ledger/ref-1/weights:4": 1.0}
    ledger.settle("ref-1")
    assert copies.by_cluster["lab"] == {}
    assert ledger.recall("ref-1", weight_key(4)) == 1.0  # the history stays in the ledger


def test_settling_again_sends_the_cluster_nothing(
        ledger: MirroredLedger, copies: Copies) -> None:
    ledger.remember("ref-1", weight_key(4), 1.0)
    ledger.remember("ref-1", weight_key(5), 1.0)
    ledger.settle("ref-1")
    ledger.settle("ref-1")
    assert copies.of("lab").dropped == ["cephmaint/ledger/ref-1/weights:4",
                                        "cephmaint/ledger/ref-1/weights:5"]


def test_a_record_of_a_maintenance_without_a_cluster_is_refused_before_the_change(
        ledger: MirroredLedger, copies: Copies) -> None:
    with pytest.raises(LedgerError, match="ref-2 has no cluster recorded"):
        ledger.remember("ref-2", weight_key(4), 1.0)
    assert copies.by_cluster == {}


def test_the_copies_read_back_by_reference_and_foreign_keys_are_ignored() -> None:
    dumped = {"cephmaint/ledger/ref-1/weights:4": "1.0",
              "cephmaint/ledger/ref-1/flag:pool/rbd:noscrub": "false",
              "cephmaint/ledger/ref-2/balancer": '{"active": true}',
              "cephmaint/other": "x", "mgr/dashboard/key": "y"}
    assert parse_records(dumped) == {
        "ref-1": {"weights:4": 1.0, "flag:pool/rbd:noscrub": False},
        "ref-2": {"balancer": {"active": True}}}


def test_a_copy_that_is_not_json_is_named() -> None:
    with pytest.raises(LedgerError, match="cephmaint/ledger/ref-1/weights:4 is not JSON"):
        parse_records({"cephmaint/ledger/ref-1/weights:4": "{"})
