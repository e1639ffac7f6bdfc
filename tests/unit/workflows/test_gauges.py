"""The fleet's metrics: what one look at the state store becomes for Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ceph_tasks.errors import LedgerUnavailable
from ceph_tasks.names import Hold
from workflows.gauges import FleetCollector, FleetReading
from workflows.listing import Held, Listed, Row

NOW = 1_800_000_000.0


def _row(reference: str, state: Listed, *, cluster: str = "c1", kind: str = "replace",
         holds: tuple[Held, ...] = (), moved: dict[str, int] | None = None) -> Row:
    return Row(reference, cluster, kind, ("node2",), state, "", "", NOW - 600, "alice", 3, 10,
               holds, moved)


def _scrape(read: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(FleetCollector(read, lambda: NOW))  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_one_look_gives_states_holds_waits_data_moved_leases_and_workers() -> None:
    rows = [
        _row("replace.node2.1", Listed.WAITING, moved={"objects": 544, "bytes": 2_228_224},
             holds=(Held(Hold.TECHNICIAN, "node2", NOW - 90.0),)),
        _row("decommission.node7.2", Listed.WAITING, cluster="c2", kind="decommission",
             holds=(Held(Hold.CLIENT_IMPACT, "node7"),)),
        _row("replace.node4.3", Listed.DONE),
    ]
    samples = _scrape(lambda: FleetReading(rows, {"c1": 1, "c2": 1}, ["w@admin1", "w@admin2"]))
    assert samples[("cephmaint_fleet_up", ())] == 1
    assert samples[("cephmaint_maintenances", (("cluster", "c1"), ("kind", "replace"),
                                                ("state", "waiting")))] == 1
    assert samples[("cephmaint_maintenances", (("cluster", "c1"), ("kind", "replace"),
                                                ("state", "done")))] == 1
    # Every state is there, zeros too: a dashboard's line does not vanish between scrapes.
    assert samples[("cephmaint_maintenances", (("cluster", "c2"), ("kind", "replace"),
                                                ("state", "failed")))] == 0
    assert samples[("cephmaint_holds", (("cluster", "c2"), ("reason", "client-impact")))] == 1
    assert samples[("cephmaint_holds", (("cluster", "c1"), ("reason", "window")))] == 0
    assert samples[("cephmaint_technician_wait_seconds", (
        ("cluster", "c1"), ("host", "node2"), ("reference", "replace.node2.1")))] == 90.0
    assert samples[("cephmaint_data_moved_objects", (
        ("cluster", "c1"), ("kind", "replace"), ("reference", "replace.node2.1")))] == 544
    assert samples[("cephmaint_data_moved_bytes", (
        ("cluster", "c1"), ("kind", "replace"), ("reference", "replace.node2.1")))] == 2_228_224
    assert samples[("cephmaint_maintenance_steps_done", (
        ("cluster", "c1"), ("kind", "replace"), ("reference", "replace.node2.1")))] == 3
    # An ended maintenance's progress is not a gauge any more.
    assert ("cephmaint_maintenance_steps", (("cluster", "c1"), ("kind", "replace"),
                                            ("reference", "replace.node4.3"))) not in samples
    assert samples[("cephmaint_leases_held", (("cluster", "c2"),))] == 1
    assert samples[("cephmaint_workers_up", ())] == 2
    assert samples[("cephmaint_worker_up", (("worker", "w@admin2"),))] == 1


def test_a_state_store_that_cannot_be_read_is_a_scrape_saying_so_not_an_error() -> None:
    def unreachable() -> FleetReading:
        raise LedgerUnavailable("cannot read: connection refused")
    assert _scrape(unreachable) == {("cephmaint_fleet_up", ()): 0}
