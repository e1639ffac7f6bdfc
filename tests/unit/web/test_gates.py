"""A waiting technician step as the technicians' pages show it: where, which disks, since
when, and whether the gate's rejection is about the confirmation held now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ceph_tasks.decisions.technician_gate import Confirmation
from cephmaint.web.gates import Disk, wait_of
from tests.support.technicians import a_host

STEP: dict[str, Any] = {"id": "confirm-node2", "task": "cephmaint.wait_for_technician",
        "kwargs": {"host": "node2", "expect_serials": 1, "device_paths": ["/dev/sdb"]}}
SINCE = "2027-01-15T06:00:00+00:00"


def test_a_disk_swap_names_its_place_its_disk_and_its_expected_serials() -> None:
    wait = wait_of("disk.node2.1a2b3c4d", "prod-ams", STEP,
                   progress={"since": SINCE, "waiting_for": "a technician's confirmation"},
                   host=a_host(), action="Replace failed disk", confirmation=None)
    assert (wait.datacenter, wait.room, wait.rack, wait.host) == ("DC1", "R2", "A7", "node2")
    assert wait.disks == (Disk("/dev/sdb", "3", "ZA1B2C3D", "4.0 TB"),) and wait.chosen
    assert wait.expect == 1
    start = datetime.fromisoformat(SINCE).timestamp()
    assert wait.waited(start + 90) == 90.0
    assert not wait.rejection_is_current


def test_without_devices_every_disk_of_the_host_is_listed() -> None:
    step = {**STEP, "kwargs": {"host": "node2"}}
    wait = wait_of("replace.node2.1a2b3c4d", "prod-ams", step, progress={}, host=a_host(),
                   action="", confirmation=None)
    assert [d.path for d in wait.disks] == ["/dev/sdb", "/dev/sdc", "/dev/sdd"]
    assert not wait.chosen and wait.expect == 0 and wait.waited(0.0) is None


def test_a_host_or_device_the_inventory_lacks_still_shows_its_path() -> None:
    step = {**STEP, "kwargs": {**STEP["kwargs"], "device_paths": ["/dev/sdz"]}}
    wait = wait_of("r1", "c", step, progress={}, host=a_host(), action="", confirmation=None)
    assert wait.disks == (Disk("/dev/sdz", "", "", ""),)
    lost = wait_of("r1", "c", STEP, progress={}, host=None, action="", confirmation=None)
    assert (lost.datacenter, lost.disks) == ("", (Disk("/dev/sdb", "", "", ""),))


def test_a_rejection_is_current_until_a_newer_confirmation_comes() -> None:
    checked = Confirmation("tim", datetime(2027, 1, 15, 7, 0, tzinfo=UTC), ("TYPO-1",))
    rejected = f"{checked.describe()} rejected: the host reports no disk with serial TYPO-1"
    wait = wait_of("r1", "c", STEP, progress={"rejected": rejected}, host=a_host(), action="",
                   confirmation=checked)
    assert wait.rejection_is_current
    newer = Confirmation("tim", datetime(2027, 1, 15, 7, 5, tzinfo=UTC), ("NEW-1",))
    wait = wait_of("r1", "c", STEP, progress={"rejected": rejected}, host=a_host(), action="",
                   confirmation=newer)
    assert not wait.rejection_is_current


def test_a_disk_whose_led_the_maintenance_lit_says_so() -> None:
    wait = wait_of("disk.node2.1a2b3c4d", "prod-ams", STEP, progress={}, host=a_host(),
                   action="", confirmation=None, lit=["/dev/sdb"])
    assert [d.lit for d in wait.disks] == [True]
