"""Downtime, notification and the technician gate run by a real worker, on real services.

The worker's inventory is the shared sandbox's, with a real Alertmanager and a real SMTP
server added as the cluster's monitoring and e-mail targets. The gate reads the spare
spare-3.dc1's disks over SSH with the sandbox's `hostctl list-devices`; the technician's swap
is `hostctl swap-disk` on a free device of the spare, undone afterwards, so the shared cluster
is unaffected.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from celery.result import AsyncResult

from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key
from ceph_tasks.errors import DeadlineExceeded
from ceph_tasks.tasks.base import progress_key
from cephmaint.sandbox.sandbox import Sandbox
from inventory import (
    AlertmanagerTarget,
    EmailTarget,
    Inventory,
    MonitoringTargets,
    NotificationTargets,
    load_inventory,
    write_inventory,
)
from tests.integration.ceph_tasks.conftest import TaskBench
from tests.support.alertmanager import private_alertmanager
from tests.support.poll import poll
from tests.support.smtp import SmtpServer, private_smtp

pytestmark = pytest.mark.integration

HOST = "spare-3.dc1"  # the sandbox's spare, named as real hosts are
NEW_SERIAL = "NEW-DISK-0042"


@pytest.fixture(scope="module")
def alertmanager_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with private_alertmanager(tmp_path_factory.mktemp("alertmanager")) as url:
        yield url


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with private_smtp() as server:
        yield server


@pytest.fixture(scope="module")
def bench_inventory(sandbox: Sandbox, alertmanager_url: str, smtp: SmtpServer,
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's inventory with the Alertmanager and the SMTP server as its targets."""
    [cluster] = load_inventory(sandbox.layout().inventory_path).clusters
    cluster = cluster.model_copy(update={
        "monitoring": MonitoringTargets(alertmanager=AlertmanagerTarget(url=alertmanager_url)),
        "notifications": NotificationTargets(email=EmailTarget(
            smtp_host=smtp.host, smtp_port=smtp.port, sender="cephmaint@example.net",
            recipients=("dc-sbx1@example.net",))),
    })
    path = tmp_path_factory.mktemp("inventory") / "inventory.yaml"
    write_inventory(Inventory(clusters=(cluster,)), path)
    return path


def silences_of(url: str, reference: str) -> list[dict[str, Any]]:
    """The Alertmanager's silences tagged with a maintenance reference."""
    found = requests.get(f"{url}/api/v2/silences", timeout=5).json()
    return [s for s in found if f"[cephmaint:{reference}]" in s["comment"]]


def test_a_downtime_is_set_once_and_removed_on_the_real_alertmanager(
        shared_bench: TaskBench, alertmanager_url: str, reference: str) -> None:
    args = {"cluster": shared_bench.name, "host": HOST, "reference": reference}
    first = shared_bench.run("cephmaint.set_downtime", duration_s=900, comment="disk swap",
                             **args)
    second = shared_bench.run("cephmaint.set_downtime", duration_s=900, comment="disk swap",
                              **args)
    [silence] = silences_of(alertmanager_url, reference)
    assert silence["status"]["state"] == "active"
    assert {"name": "instance", "value": r"spare-3\.dc1(:[0-9]+)?", "isRegex": True,
            "isEqual": True} in silence["matchers"]
    assert first["backends"] == [{"backend": "alertmanager", "ids": [silence["id"]],
                                  "created": True}]
    assert second["backends"] == [{"backend": "alertmanager", "ids": [silence["id"]],
                                   "created": False}]

    lift = {"cluster": args["cluster"], "reference": reference}
    assert shared_bench.run("cephmaint.restore", **lift)["downtimes"] == {
        args["host"]: {"alertmanager": 1}}
    assert shared_bench.run("cephmaint.restore", **lift)["downtimes"] == {}
    assert [s["status"]["state"] for s in silences_of(alertmanager_url, reference)] == [
        "expired"]


def test_technicians_get_one_mail_naming_host_rack_and_serials(
        shared_bench: TaskBench, smtp: SmtpServer, reference: str) -> None:
    device = shared_bench.cluster.host(HOST).devices[0]
    args = {"cluster": shared_bench.name, "host": HOST, "reference": reference,
            "action": "Replace disk", "device_paths": [device.path]}
    first = shared_bench.run("cephmaint.notify_technicians", **args)
    second = shared_bench.run("cephmaint.notify_technicians", **args)
    assert (first["sent"], second["sent"], second["already_sent"]) == (["email"], [], ["email"])
    [mail] = [m for m in smtp.mailbox.messages if m["X-Cephmaint-Reference"] == reference]
    body = mail.get_payload(decode=True).decode()
    assert device.serial is not None
    for text in ("Datacenter:  SBX1", "Room:        lab", "Rack:        R3",
                 "Host:        spare-3.dc1", f"bay {device.bay}", device.serial, reference):
        assert text in body
    assert "spare-3.dc1" in mail["Subject"] and "rack R3" in mail["Subject"]


def hostctl(sandbox: Sandbox, *words: str) -> Any:
    """Run the sandbox's host control on the spare here, as the technician's hands."""
    layout = sandbox.layout()
    done = subprocess.run(
        [layout.python, "-m", "cephmaint.sandbox.hostctl", "--root", str(layout.root),
         "--host", HOST, *words], check=True, capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout)


@pytest.fixture
def swapped_disk(sandbox: Sandbox) -> Iterator[tuple[str, str]]:
    """The spare's last (free) device with a new disk in it: (path, old serial); put back after."""
    devices = hostctl(sandbox, "list-devices")
    free = [d for d in devices if d["osd_id"] is None]
    assert free, f"{HOST} has no free device: {devices}"
    path, old = free[-1]["path"], free[-1]["serial"]
    hostctl(sandbox, "swap-disk", path, NEW_SERIAL)
    try:
        yield path, old
    finally:
        hostctl(sandbox, "swap-disk", path, old)


def confirm(bench: TaskBench, reference: str, *evidence: str) -> None:
    """A technician's confirmation in the ledger, as `cephmaint confirm` records it.

    These tests run the gate task alone, without a workflow; `cephmaint confirm` itself
    (which takes only a workflow whose technician step waits) is run by the workflow tests.
    """
    confirmation = Confirmation(by="dana", at=datetime.now(UTC), serials=tuple(evidence))
    bench.ledger().note(reference, confirmation_key(None), confirmation.to_json())


def progress_of(bench: TaskBench, reference: str, result: AsyncResult,
                until: str = "", wait: float = 30) -> dict[str, Any]:
    """The gate's latest progress, once it mentions `until`; fail at once if the gate ends."""
    def progress() -> dict[str, Any]:
        return dict(bench.ledger().recall(reference, progress_key(result.id)) or {})

    def ended() -> str:
        return f"the gate ended: {result.result!r}" if result.ready() else "the gate runs"

    def mentioning() -> dict[str, Any] | None:
        seen = progress()
        return seen if seen and until in json.dumps(seen) else None

    return poll(mentioning, timeout=wait, interval=0.2, give_up=result.ready,
                what=lambda _: f"progress mentioning {until!r}: {progress()}; {ended()}")


def test_the_gate_opens_on_the_new_serial_and_not_on_the_old_one(
        shared_bench: TaskBench, swapped_disk: tuple[str, str], reference: str) -> None:
    path, old = swapped_disk
    args = {"cluster": shared_bench.name, "host": HOST, "reference": reference,
            "expect_serials": 1, "device_paths": [path], "interval": 0.5, "timeout": 120}
    gate = shared_bench.send("cephmaint.wait_for_technician", **args)
    waiting = progress_of(shared_bench, reference, gate)
    assert waiting["waiting_for"] == (f"a technician's confirmation (cephmaint confirm "
                                      f"{reference} --evidence serial=NEW_SERIAL)")
    assert waiting["since"] and waiting["rejected"] is None

    confirm(shared_bench, reference, old)
    rejected = progress_of(shared_bench, reference, gate, until="rejected:")
    assert rejected["rejected"].endswith(f"rejected: serial {old} is the old disk's, of {path}")
    assert rejected["since"] == waiting["since"]
    assert not gate.ready()

    confirm(shared_bench, reference, NEW_SERIAL)
    released = gate.get(timeout=30)
    assert released["released_by"].startswith("confirmation by dana at ")
    assert released["released_by"].endswith(f"with serial(s) {NEW_SERIAL}")
    again = shared_bench.run("cephmaint.wait_for_technician", **args)
    assert again["released_by"] == released["released_by"]


def test_a_serial_the_host_does_not_report_fails_the_gate_at_its_deadline(
        shared_bench: TaskBench, swapped_disk: tuple[str, str], reference: str) -> None:
    path, _ = swapped_disk
    gate = shared_bench.send("cephmaint.wait_for_technician", cluster=shared_bench.name,
                             host=HOST, reference=reference, expect_serials=1,
                             device_paths=[path], interval=0.5, timeout=6)
    progress_of(shared_bench, reference, gate)
    confirm(shared_bench, reference, "NEW-DISK-0024")
    with pytest.raises(DeadlineExceeded, match=(
            r"host spare-3\.dc1: wait for a technician.*still not done after 6 s.*rejected: "
            f"the host reports no disk with serial NEW-DISK-0024 on {re.escape(path)}")):
        gate.get(timeout=60)
