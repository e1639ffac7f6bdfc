"""The shipped example inventory and the lookup helpers."""

from __future__ import annotations

import pytest

from inventory import (
    CommandsControl,
    DaemonControlKind,
    Inventory,
    UnknownClusterError,
    UnknownDeviceError,
    UnknownHostError,
    UnknownOsdError,
    UnsetVariableError,
    Weekday,
    load_inventory,
)
from tests.unit.inventory.builders import EXAMPLE, EXAMPLE_ENV


@pytest.fixture
def fleet() -> Inventory:
    return load_inventory(EXAMPLE, env=EXAMPLE_ENV)


def test_example_inventory_loads_with_both_clusters(fleet: Inventory) -> None:
    assert [c.name for c in fleet.clusters] == ["ceph-ams1", "ceph-fra2"]
    ams = fleet.cluster("ceph-ams1")
    assert ams.access.client_name == "client.maint"
    assert ams.throttles.max_backfilling_pgs == 32
    assert ams.client_impact.max_osd_latency_ms == 300
    assert ams.client_impact.prometheus is not None
    assert ams.client_impact.prometheus.threshold == 0.25
    assert ams.max_concurrent_maintenances == 2
    assert ams.maintenance_windows[0].days == {Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU}
    assert ams.monitoring.icinga is not None
    assert ams.monitoring.icinga.password.get_secret_value() == "icinga-pass-123"
    fra = fleet.cluster("ceph-fra2")
    assert fra.failure_domain_type == "rack"
    assert fra.access.client_name == "client.admin"
    assert fra.monitoring.alertmanager is not None


def test_example_defaults_are_applied(fleet: Inventory) -> None:
    host = fleet.cluster("ceph-ams1").host("ams1-stor01")
    assert host.ssh.port == 22
    assert host.ssh.accept_unknown_host_keys is False
    assert host.failure_domain == "ams1-stor01"
    assert host.daemon_control.kind is DaemonControlKind.SYSTEMD
    # Bays written as bare numbers are kept as text.
    assert host.devices[0].bay == "1"


def test_example_commands_host_keeps_argv_templates(fleet: Inventory) -> None:
    control = fleet.cluster("ceph-fra2").host("fra2-osd-b1").daemon_control
    assert isinstance(control, CommandsControl)
    assert control.stop_osd == ("/usr/local/sbin/osdctl", "stop", "{osd_id}")


def test_osds_on_lists_a_hosts_osds_by_id(fleet: Inventory) -> None:
    ams = fleet.cluster("ceph-ams1")
    assert [o.id for o in ams.osds_on("ams1-stor02")] == [3, 4, 5]
    assert ams.osds_on("ams1-stor03") == ()
    assert ams.osd(4).name == "osd.4"


def test_unknown_names_raise_errors_naming_what_exists(fleet: Inventory) -> None:
    with pytest.raises(UnknownClusterError, match=r"'nope'.*ceph-ams1, ceph-fra2"):
        fleet.cluster("nope")
    ams = fleet.cluster("ceph-ams1")
    with pytest.raises(UnknownHostError, match="ams1-stor09"):
        ams.host("ams1-stor09")
    with pytest.raises(UnknownHostError):
        ams.osds_on("ams1-stor09")
    with pytest.raises(UnknownOsdError, match=r"osd\.99"):
        ams.osd(99)
    with pytest.raises(UnknownDeviceError, match="/dev/sdz"):
        ams.host("ams1-stor01").device("/dev/sdz")


def test_unknown_name_errors_are_lookup_errors(fleet: Inventory) -> None:
    with pytest.raises(LookupError):
        fleet.cluster("nope")


def test_example_without_its_environment_names_the_missing_variable() -> None:
    with pytest.raises(UnsetVariableError) as caught:
        load_inventory(EXAMPLE, env={})
    assert caught.value.variable == "ICINGA_PASSWORD"
    assert "example.yaml:14: clusters[0].monitoring.icinga.password" in str(caught.value)
