"""Field validation: host names, device paths, addresses, and the cluster cross-checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from inventory import (
    Cluster,
    Host,
    InventoryValidationError,
    Osd,
    SshAccess,
    StandardDeviceClass,
    SystemdControl,
    parse_inventory,
)
from tests.unit.inventory.builders import SMALL, cluster_data, dump

HOSTILE = [
    "node1;rm -rf /",
    "$(reboot)",
    "`reboot`",
    "node 1",
    "node1\n",
    "node1|cat",
    "node1&&x",
    "-node1",
    "node1-",
    "node_1",
    "node1.",
    "a" * 64,
    "",
    "nöde1",
    "../etc",
]


def problems_for(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(dump({"clusters": [data]}), env={})
    return [(p.key_path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("name", HOSTILE)
def test_host_name_that_is_not_rfc1123_is_rejected(name: str) -> None:
    data = cluster_data()
    data["hosts"][0]["name"] = name
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].hosts[0].name"
    assert "RFC 1123" in message


@pytest.mark.parametrize("name", ["node1", "ceph-osd-01", "stor01.dc1.example.net", "1node", "N1"])
def test_rfc1123_host_names_are_accepted(name: str) -> None:
    ssh = SshAccess(address="127.0.0.1")
    assert (
        Host(
            name=name, datacenter="d", room="r", rack="k", ssh=ssh, daemon_control=SystemdControl()
        ).name
        == name
    )


@pytest.mark.parametrize(
    "path",
    [
        "sdb",
        "/dev/sdb;reboot",
        "/dev/$(reboot)",
        "/dev/sd b",
        "/dev/sdb\n",
        "/dev/`x`",
        "/dev/../etc/passwd",
        "/dev/./sdb",
        "/dev//sdb",
        "/dev/sdb/",
        "/dev/sdb'",
        "/dev/sdb*",
        "/",
    ],
)
def test_device_path_that_is_not_a_plain_absolute_path_is_rejected(path: str) -> None:
    data = cluster_data()
    data["hosts"][0]["devices"][0]["path"] = path
    problems = problems_for(data)
    assert ("clusters[0].hosts[0].devices[0].path", problems[0][1]) == problems[0]
    assert "device path" in problems[0][1]


@pytest.mark.parametrize(
    "path",
    [
        "/dev/sdb",
        "/dev/nvme0n1",
        "/dev/disk/by-path/pci-0000:00:1f.2-ata-1",
        "/dev/sandbox/node2-sdb",
    ],
)
def test_plain_device_paths_are_accepted(path: str) -> None:
    data = cluster_data()
    data["hosts"][0]["devices"][0]["path"] = path
    data["osds"][0]["device"] = path
    cluster = parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]
    assert cluster.host("node0").device(path).path == path


@pytest.mark.parametrize("address", ["10.0.0.1", "::1", "fe80::1", "node0.mgmt.example.net"])
def test_ssh_address_accepts_ips_and_host_names(address: str) -> None:
    assert SshAccess(address=address).address == address


@pytest.mark.parametrize("address", ["10.0.0.1;x", "$(reboot)", "a b", ""])
def test_ssh_address_rejects_anything_else(address: str) -> None:
    with pytest.raises(ValidationError):
        SshAccess(address=address)


@pytest.mark.parametrize("user", ["root; reboot", "Root", "a b", "-x", ""])
def test_ssh_user_must_be_a_login_name(user: str) -> None:
    with pytest.raises(ValidationError):
        SshAccess(address="10.0.0.1", user=user)


def test_unknown_host_keys_are_refused_unless_opted_in() -> None:
    assert SshAccess(address="10.0.0.1").accept_unknown_host_keys is False


def test_failure_domain_defaults_to_host_name_and_is_a_crush_name() -> None:
    data = cluster_data()
    cluster = parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]
    assert cluster.host("node1").failure_domain == "node1"
    data["hosts"][1]["failure_domain"] = "rack 1;x"
    ((path, _),) = problems_for(data)
    assert path == "clusters[0].hosts[1].failure_domain"


def test_osd_on_unknown_host_is_rejected_at_the_osd() -> None:
    data = cluster_data()
    data["osds"][1]["host"] = "node9"
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].osds[1].host"
    assert message == "osd.1 is on host node9, which is not in cluster lab (hosts: node0, node1)"


def test_osd_on_a_device_its_host_does_not_have_is_rejected() -> None:
    data = cluster_data()
    data["osds"][1]["device"] = "/dev/sdq"
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].osds[1].device"
    assert "/dev/sdq" in message and "node1" in message


def test_duplicate_osd_id_is_rejected() -> None:
    data = cluster_data()
    data["osds"][1]["id"] = 0
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].osds[1].id"
    assert "used twice" in message


def test_two_osds_on_one_device_are_rejected() -> None:
    data = cluster_data()
    data["osds"][1]["host"] = "node0"
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].osds[1].device"
    assert "osd.1 and osd.0" in message


def test_duplicate_host_name_is_rejected_case_insensitively() -> None:
    data = cluster_data()
    data["hosts"][1]["name"] = "NODE0"
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].hosts[1].name"
    assert "defined twice" in message


def test_two_hosts_with_one_ssh_endpoint_are_rejected() -> None:
    data = cluster_data()
    data["hosts"][1]["ssh"]["address"] = "127.0.0.10"
    ((path, _),) = problems_for(data)
    assert path == "clusters[0].hosts[1].ssh.address"


def test_duplicate_device_on_a_host_is_rejected() -> None:
    data = cluster_data()
    data["hosts"][0]["devices"].append({"path": "/dev/sdb"})
    ((path, _),) = problems_for(data)
    assert path == "clusters[0].hosts[0].devices[1].path"


def test_serial_used_twice_in_a_cluster_is_rejected() -> None:
    data = cluster_data()
    data["hosts"][0]["devices"][0]["serial"] = "SER1"
    data["hosts"][1]["devices"][0]["serial"] = "SER1"
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].hosts[1].devices[0].serial"
    assert "node0:/dev/sdb" in message


def test_duplicate_cluster_name_in_one_file_is_rejected() -> None:
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(dump({"clusters": [cluster_data(), cluster_data()]}), env={})
    assert caught.value.problems[0].key_path == "clusters[1].name"


def test_cross_check_error_points_at_the_right_line() -> None:
    text = SMALL.replace("        host: node0\n", "        host: node7\n")
    with pytest.raises(InventoryValidationError) as caught:
        parse_inventory(text, source="s.yaml", env={})
    assert str(caught.value).startswith(
        "s.yaml:20: clusters[0].osds[0].host: osd.0 is on host node7"
    )


def test_access_needs_conf_path_or_monitors() -> None:
    data = cluster_data()
    data["access"] = {"client_name": "client.admin"}
    ((path, message),) = problems_for(data)
    assert path == "clusters[0].access"
    assert "conf_path or mon_hosts" in message


def test_client_name_must_be_a_client_entity() -> None:
    data = cluster_data()
    data["access"]["client_name"] = "admin"
    ((path, _),) = problems_for(data)
    assert path == "clusters[0].access.client_name"


@pytest.mark.parametrize("device_class", ["hdd", "ssd", "nvme", "archive", "fast_ssd"])
def test_device_class_accepts_standard_and_custom_names(device_class: str) -> None:
    data = cluster_data()
    data["osds"][0]["device_class"] = device_class
    cluster = parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]
    assert cluster.osd(0).device_class == device_class


def test_standard_device_class_enum_is_stored_as_plain_text() -> None:
    osd = Osd(id=1, host="n", device="/dev/sdb", device_class=StandardDeviceClass.NVME)
    assert type(osd.device_class) is str
    assert osd.device_class == "nvme"


def test_negative_osd_id_is_rejected() -> None:
    data = cluster_data()
    data["osds"][0]["id"] = -1
    assert problems_for(data)[0][0] == "clusters[0].osds[0].id"


@pytest.mark.parametrize(
    ("key", "value"),
    [("url", "ftp://x"), ("url", "icinga.example.net"), ("user", "a b")],
)
def test_monitoring_target_fields_are_checked(key: str, value: str) -> None:
    data = cluster_data()
    icinga = {"url": "https://i.example.net", "user": "u", "password": "p"}
    data["monitoring"] = {"icinga": {**icinga, key: value}}
    assert problems_for(data)[0][0] == f"clusters[0].monitoring.icinga.{key}"


def test_email_target_needs_addresses() -> None:
    data = cluster_data()
    data["notifications"] = {
        "email": {"smtp_host": "smtp.example.net", "sender": "nobody", "recipients": []}
    }
    paths = {path for path, _ in problems_for(data)}
    assert paths == {
        "clusters[0].notifications.email.sender",
        "clusters[0].notifications.email.recipients",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [("max_backfilling_pgs", 0), ("crush_weight_step", -0.1), ("step_interval_seconds", ".inf")],
)
def test_throttles_must_be_positive_and_finite(key: str, value: Any) -> None:
    data = cluster_data()
    data["throttles"] = {key: float("inf") if value == ".inf" else value}
    assert problems_for(data)[0][0] == f"clusters[0].throttles.{key}"


@pytest.mark.parametrize("value", [0, -1, "2", 1.5])
def test_max_concurrent_maintenances_is_a_whole_number_of_one_or_more(value: Any) -> None:
    data = cluster_data()
    data["max_concurrent_maintenances"] = value
    assert problems_for(data)[0][0] == "clusters[0].max_concurrent_maintenances"


def test_one_maintenance_at_a_time_unless_the_inventory_says_more() -> None:
    data = cluster_data()
    assert Cluster.model_validate(data).max_concurrent_maintenances == 1
    data["max_concurrent_maintenances"] = 2
    assert Cluster.model_validate(data).max_concurrent_maintenances == 2


def test_cluster_data_helper_is_not_shared_between_tests() -> None:
    first = cluster_data()
    second = copy.deepcopy(first)
    first["hosts"].clear()
    assert second["hosts"]


@pytest.mark.parametrize(
    ("client_impact", "path"),
    [({"max_osd_latency_ms": 0}, "client_impact.max_osd_latency_ms"),
     ({"max_osd_latency_ms": float("nan")}, "client_impact.max_osd_latency_ms"),
     ({"hold_on_slow_ops": "no"}, "client_impact.hold_on_slow_ops"),
     ({"prometheus": {"url": "prom:9090", "query": "up", "threshold": 1}},
      "client_impact.prometheus.url"),
     ({"prometheus": {"url": "http://prom:9090", "query": " ", "threshold": 1}},
      "client_impact.prometheus.query"),
     ({"prometheus": {"url": "http://prom:9090", "query": "up"}},
      "client_impact.prometheus.threshold"),
     ({"prometheus": {"url": "http://prom:9090", "query": "up", "threshold": float("inf")}},
      "client_impact.prometheus.threshold"),
     ({"max_latency": 5}, "client_impact.max_latency")],
)
def test_client_impact_limits_are_checked_and_named(client_impact: dict[str, Any],
                                                    path: str) -> None:
    data = cluster_data()
    data["client_impact"] = client_impact
    assert problems_for(data)[0][0] == f"clusters[0].{path}"


def test_client_impact_defaults_hold_on_slow_ops_and_half_a_second_of_latency() -> None:
    cluster = parse_inventory(dump({"clusters": [cluster_data()]}), env={}).clusters[0]
    assert cluster.client_impact.hold_on_slow_ops
    assert cluster.client_impact.max_osd_latency_ms == 500
    assert cluster.client_impact.prometheus is None


def test_a_hosts_reboot_command_is_argv_words_without_placeholders() -> None:
    data = cluster_data()
    cluster = parse_inventory(dump({"clusters": [data]}), env={}).clusters[0]
    assert cluster.host("node1").reboot_command == ("systemctl", "reboot")
    assert cluster.max_down_seconds == 1800
    data["hosts"][1]["reboot_command"] = "systemctl reboot"
    data["hosts"][0]["boot_id_command"] = ["cat", "{device}"]
    problems = dict(problems_for(data))
    assert "not a shell string" in problems["clusters[0].hosts[1].reboot_command"]
    assert "unknown placeholder" in problems["clusters[0].hosts[0].boot_id_command"]
