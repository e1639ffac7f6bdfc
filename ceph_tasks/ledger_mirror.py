"""A copy of what a maintenance changed, kept on the cluster itself, for when Redis is lost.

The ledger lives in Redis. A Redis lost with its data (no AOF, a disk gone, a flushed
instance) would leave a half-drained cluster with our flags and downtimes set and nothing
that knows about them. So every record of a change that the restore path puts back (the
prefixes of ceph_tasks.decisions.restoration) is also written to the cluster's monitors
(`config-key set cephmaint/ledger/<reference>/<key>`), before the change, like the ledger
entry itself; `cephmaint recover` reads it back from there. Records that are only progress
or bookkeeping are not copied: the monitors' store is not a place for frequent writes.

A maintenance's cluster is recorded under CLUSTER_KEY when it is submitted; a restorable
record of a reference whose cluster is unknown is refused rather than kept in Redis only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ceph_tasks.ceph.client import CephClient
from ceph_tasks.errors import CephError, LedgerError
from ceph_tasks.ledger import Json, Ledger

#: Where the copies live in the monitors' config-key store.
MIRROR_PREFIX = "cephmaint/ledger"
#: The ledger key naming a maintenance's cluster.
CLUSTER_KEY = "cluster"


class LedgerMirror(Protocol):
    """Copies of ledger records on one cluster."""

    def put(self, reference: str, key: str, value: Json) -> None:
        """Store a copy of a record (replacing an older one)."""
        ...

    def drop(self, reference: str, key: str) -> None:
        """Drop a record's copy; dropping a missing one is fine."""
        ...

    def records(self) -> dict[str, dict[str, Json]]:
        """Every copy on the cluster, by reference."""
        ...


class ConfigKeyMirror:
    """Copies in the monitors' config-key store, one key per record."""

    def __init__(self, client: CephClient) -> None:
        self.client = client

    def put(self, reference: str, key: str, value: Json) -> None:
        """Store a copy of a record (replacing an older one)."""
        name = mirror_key(reference, key)
        try:
            self.client.mon_command("config-key set", key=name,
                                    val=json.dumps(value, sort_keys=True))
        except CephError as e:
            raise LedgerError(f"cannot copy {key!r} of {reference} to the cluster: {e}") from e

    def drop(self, reference: str, key: str) -> None:
        """Drop a record's copy; dropping a missing one is fine (Ceph answers 0 too)."""
        try:
            self.client.mon_command("config-key rm", key=mirror_key(reference, key))
        except CephError as e:
            raise LedgerError(f"cannot drop the copy of {key!r} of {reference} from the "
                              f"cluster: {e}") from e

    def records(self) -> dict[str, dict[str, Json]]:
        """Every copy on the cluster, by reference."""
        try:
            dumped = self.client.mon_command("config-key dump", key=f"{MIRROR_PREFIX}/")
        except CephError as e:
            raise LedgerError(f"cannot read the ledger's copies from the cluster: {e}") from e
        return parse_records(dumped or {})


def mirror_key(reference: str, key: str) -> str:
    """The config-key name of a record's copy."""
    return f"{MIRROR_PREFIX}/{reference}/{key}"


def parse_records(dumped: dict[str, Any]) -> dict[str, dict[str, Json]]:
    """The copies by reference, from `config-key dump` (keys outside ours are ignored)."""
    found: dict[str, dict[str, Json]] = {}
    prefix = f"{MIRROR_PREFIX}/"
    for name, raw in sorted(dumped.items()):
        reference, _, key = name.removeprefix(prefix).partition("/")
        if not name.startswith(prefix) or not reference or not key:
            continue
        try:
            value = json.loads(raw)
        except (TypeError, ValueError) as e:
            raise LedgerError(f"the cluster's copy {name} is not JSON: {e}") from e
        found.setdefault(reference, {})[key] = value
    return found


class MirroredLedger:
    """A ledger whose restorable records are also copied to their maintenance's cluster.

    Written to the ledger first and then copied, both before the change they record: a
    copy that fails fails the step before it changed anything.
    """

    def __init__(self, primary: Ledger, mirror_of: Callable[[str], LedgerMirror],
                 restorable: Callable[[str], bool]) -> None:
        self.primary, self.mirror_of, self.restorable = primary, mirror_of, restorable
        self._clusters: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, reference: str, key: str, value: Json) -> Json:
        """Store value under key unless an entry is there; return the stored entry."""
        stored = self.primary.remember(reference, key, value)
        if self.restorable(key):
            self._mirror(reference).put(reference, key, stored)
        return stored

    def note(self, reference: str, key: str, value: Json) -> None:
        """Store value under key, replacing what is there: for news, not for history."""
        self.primary.note(reference, key, value)
        if self.restorable(key):
            self._mirror(reference).put(reference, key, value)

    def recall(self, reference: str, key: str) -> Json | None:
        """The entry under key, or None."""
        return self.primary.recall(reference, key)

    def forget(self, reference: str, key: str) -> None:
        """Drop the entry under key and its copy; dropping a missing one is fine."""
        self.primary.forget(reference, key)
        if self.restorable(key):
            self._mirror(reference).drop(reference, key)

    def entries(self, reference: str) -> dict[str, Json]:
        """Every entry of a reference."""
        return self.primary.entries(reference)

    def settle(self, reference: str) -> None:
        """The maintenance's changes are final: drop its copies, nothing is left to restore.

        Only the copies still on the cluster are dropped: a guardian that ends a second
        time (after a restart) sends the monitors nothing.
        """
        mirror = self._mirror(reference)
        for key in mirror.records().get(reference, {}):
            mirror.drop(reference, key)

    def _mirror(self, reference: str) -> LedgerMirror:
        with self._lock:
            cluster = self._clusters.get(reference)
        if cluster is None:
            recorded = self.primary.recall(reference, CLUSTER_KEY)
            if not isinstance(recorded, str):
                raise LedgerError(f"{reference} has no cluster recorded (ledger key "
                                  f"{CLUSTER_KEY!r}): its changes cannot be copied to it")
            cluster = recorded
            with self._lock:
                self._clusters[reference] = cluster
        return self.mirror_of(cluster)


def settle(ledger: Ledger, reference: str) -> None:
    """Drop a finished maintenance's copies, where its ledger keeps any."""
    if isinstance(ledger, MirroredLedger):
        ledger.settle(reference)
