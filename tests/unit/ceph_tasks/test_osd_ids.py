"""Which devices get a new OSD and which id, skipping what a run already created."""

from __future__ import annotations

from ceph_tasks.decisions.osd_ids import DeviceState, ledger_key, lowest_free, plan_devices
from tests.unit.ceph_tasks.crush_maps import captured_tree, tree

DEVICES = ["/dev/sdb", "/dev/sdc", "/dev/sdd"]
CREATE, HOLDS, CONFLICT = DeviceState.CREATE, DeviceState.HOLDS_OSD, DeviceState.CONFLICT


def test_a_new_host_gets_the_lowest_free_ids_in_device_order() -> None:
    plans = plan_devices(captured_tree("healthy"), "node3", DEVICES, {}, {})
    assert [(p.device, p.osd_id, p.state) for p in plans] == [
        ("/dev/sdb", 6, CREATE), ("/dev/sdc", 7, CREATE), ("/dev/sdd", 8, CREATE)]


def test_ids_reserved_by_an_earlier_run_are_kept_and_not_given_again() -> None:
    # A first run reserved osd.6 for sdb and crashed before creating it.
    reserved = {ledger_key("node3", "/dev/sdb"): 6}
    plans = plan_devices(captured_tree("healthy"), "node3", DEVICES, {}, reserved)
    assert [(p.osd_id, p.state, p.reserved) for p in plans] == [
        (6, CREATE, True), (7, CREATE, False), (8, CREATE, False)]


def test_osds_created_by_an_earlier_run_are_skipped() -> None:
    done = tree({"r": {"node0": [(0, 1.0)], "node3": [(1, 0.0), (2, 0.0)]}})
    reserved = {ledger_key("node3", "/dev/sdb"): 1, ledger_key("node3", "/dev/sdc"): 2}
    plans = plan_devices(done, "node3", DEVICES, {}, reserved)
    assert [(p.osd_id, p.state) for p in plans] == [(1, HOLDS), (2, HOLDS), (3, CREATE)]


def test_a_reserved_id_taken_on_another_host_is_a_conflict() -> None:
    taken = tree({"r": {"node0": [(0, 1.0), (1, 0.0)]}})
    plans = plan_devices(taken, "node3", DEVICES[:1], {}, {ledger_key("node3", "/dev/sdb"): 1})
    assert [(p.osd_id, p.state) for p in plans] == [(1, CONFLICT)]


def test_devices_holding_their_inventory_osd_are_skipped() -> None:
    plans = plan_devices(captured_tree("healthy"), "node2", DEVICES,
                         {"/dev/sdb": 4, "/dev/sdc": 5}, {})
    assert [(p.osd_id, p.state) for p in plans] == [(4, HOLDS), (5, HOLDS), (6, CREATE)]


def test_a_destroyed_osd_gets_its_id_back_on_its_device() -> None:
    replaced = tree({"r": {"node2": [(4, 1.0, {"status": "destroyed", "reweight": 0}),
                                     (5, 1.0)]}})
    plans = plan_devices(replaced, "node2", DEVICES[:2], {"/dev/sdb": 4, "/dev/sdc": 5}, {})
    assert [(p.osd_id, p.state) for p in plans] == [(4, CREATE), (5, HOLDS)]


def test_an_inventory_id_purged_and_reused_elsewhere_is_not_this_devices_osd() -> None:
    reused = tree({"r": {"node0": [(0, 1.0)], "node3": [(4, 0.0)]}})
    plans = plan_devices(reused, "node2", DEVICES[:1], {"/dev/sdb": 4}, {})
    assert [(p.osd_id, p.state) for p in plans] == [(1, CREATE)]


def test_the_lowest_free_id_fills_holes_first() -> None:
    assert lowest_free([]) == 0
    assert lowest_free([0, 1, 3]) == 2
    assert lowest_free([0, 1, 2]) == 3
