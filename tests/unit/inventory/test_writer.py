"""Writing inventories back to YAML: the loader must read them back identically."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from inventory import (
    AlertmanagerTarget,
    CephAccess,
    ChatTarget,
    ClientImpact,
    Cluster,
    CommandsControl,
    Device,
    Host,
    Inventory,
    InventoryWriteError,
    MaintenanceWindow,
    MonitoringTargets,
    NotificationTargets,
    Osd,
    PrometheusCheck,
    SshAccess,
    StandardDeviceClass,
    Throttles,
    Weekday,
    dump_inventory,
    load_inventory,
    parse_inventory,
    write_inventory,
)
from tests.unit.inventory.builders import EXAMPLE, EXAMPLE_ENV, cluster_data


def hostctl(root: str, host: str, *action: str) -> tuple[str, ...]:
    return (
        "/srv/.venv/bin/python",
        "-m",
        "cephmaint.sandbox.hostctl",
        "--root",
        root,
        "--host",
        host,
        *action,
    )


def sandbox_inventory() -> Inventory:
    """Built the way the local sandbox describes itself."""
    hosts = []
    osds = []
    for number in range(4):
        name = f"node{number}"
        devices = tuple(
            Device(
                path=f"/dev/sandbox/{name}-sd{letter}", serial=f"SBX{number}{letter}", bay=str(bay)
            )
            for bay, letter in enumerate("bc")
        )
        hosts.append(
            Host(
                name=name,
                datacenter="sandbox",
                room="loopback",
                rack=f"r{number}",
                ssh=SshAccess(
                    address=f"127.77.{number}.10",
                    port=2222,
                    user="root",
                    key_path=Path("/tmp/sbx/id_ed25519"),
                    known_hosts_path=Path("/tmp/sbx/known_hosts"),
                ),
                daemon_control=CommandsControl(
                    start_osd=hostctl("/tmp/sbx", name, "start-osd", "{osd_id}"),
                    stop_osd=hostctl("/tmp/sbx", name, "stop-osd", "{osd_id}"),
                    create_osd=hostctl("/tmp/sbx", name, "create-osd", "{device}"),
                ),
                devices=devices,
            )
        )
        if number < 3:  # node3 is the empty host to be added
            osds += [
                Osd(
                    id=2 * number + i,
                    host=name,
                    device=d.path,
                    device_class=StandardDeviceClass.HDD,
                )
                for i, d in enumerate(devices)
            ]
    cluster = Cluster(
        name="sandbox",
        access=CephAccess(conf_path=Path("/tmp/sbx/ceph.conf"), client_name="client.admin"),
        monitoring=MonitoringTargets(alertmanager=AlertmanagerTarget(url="http://127.0.0.1:9093")),
        maintenance_windows=(
            MaintenanceWindow(days=frozenset(Weekday), start=time(0), end=time(23, 59, 30)),
        ),
        throttles=Throttles(max_backfilling_pgs=4, crush_weight_step=0.05, step_interval_seconds=1),
        hosts=tuple(hosts),
        osds=tuple(osds),
    )
    return Inventory(clusters=(cluster,))


def test_sandbox_inventory_round_trips_through_a_file(tmp_path: Path) -> None:
    inventory = sandbox_inventory()
    file = tmp_path / "sandbox.yaml"
    write_inventory(inventory, file)
    loaded = load_inventory(file, env={})
    assert loaded == inventory
    assert loaded.cluster("sandbox").osds_on("node3") == ()
    assert loaded.cluster("sandbox").host("node2").ssh.address == "127.77.2.10"


def test_example_round_trips_when_secrets_are_revealed() -> None:
    fleet = load_inventory(EXAMPLE, env=EXAMPLE_ENV)
    text = dump_inventory(fleet, reveal_secrets=True)
    assert parse_inventory(text, env={}) == fleet


def test_secrets_are_not_written_unless_asked(tmp_path: Path) -> None:
    fleet = load_inventory(EXAMPLE, env=EXAMPLE_ENV)
    with pytest.raises(InventoryWriteError, match=r"clusters\[0\]\.monitoring\.icinga\.password"):
        dump_inventory(fleet)
    with pytest.raises(InventoryWriteError):
        write_inventory(fleet, tmp_path / "x.yaml")
    assert not (tmp_path / "x.yaml").exists()


def test_dollar_brace_text_is_escaped_so_it_is_not_interpolated() -> None:
    base = sandbox_inventory().clusters[0]
    cluster = base.model_copy(
        update={
            "notifications": NotificationTargets(
                chat=ChatTarget(webhook_url=SecretStr("https://c.example.net/${NOT_ENV}$${x}"))
            )
        }
    )
    inventory = Inventory(clusters=(cluster,))
    text = dump_inventory(inventory, reveal_secrets=True)
    assert parse_inventory(text, env={}) == inventory


def test_dump_writes_times_as_hh_mm_and_days_in_calendar_order() -> None:
    text = dump_inventory(sandbox_inventory())
    assert "start: 00:00" in text or "start: '00:00'" in text
    assert "23:59:30" in text
    assert text.index("- mon") < text.index("- sun")


names = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20
).filter(lambda s: s.strip() != "")
device_paths = st.from_regex(r"/dev/[a-z][a-z0-9:_.@+-]{0,12}", fullmatch=True)
windows = (
    st.tuples(st.frozensets(st.sampled_from(list(Weekday)), min_size=1), st.times(), st.times(),
              st.sampled_from(["UTC", "Europe/Paris", "America/Sao_Paulo"]))
    .filter(lambda w: w[1] != w[2])
    .map(lambda w: MaintenanceWindow(days=w[0], start=w[1], end=w[2], timezone=w[3]))
)


def literal(text: str) -> str:
    """Text usable as a fixed template word (braces escaped)."""
    return text.replace("{", "{{").replace("}", "}}")


@st.composite
def hosts_and_osds(draw: st.DrawFn) -> tuple[tuple[Host, ...], tuple[Osd, ...]]:
    hosts: list[Host] = []
    osds: list[Osd] = []
    next_id = draw(st.integers(0, 1000))
    for index, name in enumerate(draw(st.lists(names, max_size=4, unique=True))):
        paths = draw(st.lists(device_paths, max_size=3, unique=True))
        devices = tuple(
            Device(
                path=path,
                serial=draw(st.none() | st.just(f"S-{name}-{position}")),
                bay=draw(st.none() | texts),
                size_bytes=draw(st.none() | st.integers(1, 2**60)),
            )
            for position, path in enumerate(paths)
        )
        hosts.append(
            Host(
                name=name,
                datacenter=draw(texts),
                room=draw(texts),
                rack=draw(texts),
                failure_domain=draw(st.sampled_from([name, "rack-1", "row_2"])),
                ssh=SshAccess(
                    address=f"10.0.{index}.1",
                    port=draw(st.integers(1, 65535)),
                    key_path=draw(st.none() | st.just(Path(f"/keys/{name}"))),
                    accept_unknown_host_keys=draw(st.booleans()),
                ),
                daemon_control=CommandsControl(
                    start_osd=("/bin/ctl", literal(draw(texts)), "{osd_id}"),
                    stop_osd=("/bin/ctl", "{osd_id}"),
                    create_osd=("/bin/ctl", "--dev={device}"),
                ),
                devices=devices,
            )
        )
        for device in devices:
            if draw(st.booleans()):
                device_class = draw(st.sampled_from(["hdd", "ssd", "nvme", "x_1"]))
                osds.append(
                    Osd(id=next_id, host=name, device=device.path, device_class=device_class)
                )
                next_id += 1
    return tuple(hosts), tuple(osds)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    hosts, osds = draw(hosts_and_osds())
    cluster = Cluster(
        name=draw(names),
        access=CephAccess(
            mon_hosts=("10.0.0.1:6789",),
            keyring_path=draw(st.none() | st.just(Path("/etc/ceph/k.keyring"))),
        ),
        monitoring=MonitoringTargets(
            alertmanager=draw(st.none() | st.just(AlertmanagerTarget(url="https://am.example"))),
        ),
        notifications=NotificationTargets(
            chat=draw(st.none() | texts.map(lambda s: ChatTarget(webhook_url=SecretStr(s))))
        ),
        maintenance_windows=tuple(draw(st.lists(windows, max_size=2))),
        datacenter_windows={
            datacenter: tuple(draw(st.lists(windows, min_size=1, max_size=2)))
            for datacenter in draw(st.sets(st.sampled_from([h.datacenter for h in hosts])))
        } if hosts else {},
        throttles=Throttles(
            crush_weight_step=draw(st.floats(min_value=1e-6, max_value=100)),
            step_interval_seconds=draw(st.floats(min_value=1e-3, max_value=1e6)),
        ),
        client_impact=ClientImpact(
            hold_on_slow_ops=draw(st.booleans()),
            max_osd_latency_ms=draw(st.floats(min_value=1e-3, max_value=1e6)),
            prometheus=draw(st.none() | st.builds(
                PrometheusCheck, url=st.just("http://prom.example:9090"), query=texts,
                threshold=st.floats(allow_nan=False, allow_infinity=False))),
        ),
        hosts=hosts,
        osds=osds,
    )
    return Inventory(clusters=(cluster,))


@settings(max_examples=60, deadline=None)
@given(inventories())
def test_any_inventory_round_trips_through_yaml(inventory: Inventory) -> None:
    text = dump_inventory(inventory, reveal_secrets=True)
    assert parse_inventory(text, env={}) == inventory


@settings(max_examples=200, deadline=None)
@given(texts)
def test_any_free_text_round_trips_including_dollar_braces(value: str) -> None:
    data = cluster_data()
    data["hosts"][0]["rack"] = value
    data["hosts"][0]["devices"][0]["bay"] = value
    inventory = Inventory.model_validate({"clusters": [data]})
    assert parse_inventory(dump_inventory(inventory), env={}) == inventory
