"""A disk replacement keeps the OSD id, and only the new disk's serial lets it go on.

A failed disk (its OSD down) is not drained: marked out at once, its data recovered from
the other copies, then destroyed, swapped and raised back on the new disk. A host that never
comes back from a reboot is held under its noout, and the operator turns the maintenance
into a decommission that recovers its data from the surviving copies.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ceph_tasks.audit import Outcome, Query
from ceph_tasks.decisions.host_back import given_up_key
from ceph_tasks.decisions.movers import SELF_HEAL_KEY, SELF_HEAL_OPTION
from dyrygent.errors import UnknownWorkflowError
from dyrygent.states import NodeState, WorkflowState
from inventory import (
    EmailTarget,
    FailingDevices,
    FailurePolicy,
    Inventory,
    NotificationTargets,
    write_inventory,
)
from tests.integration.workflows.conftest import WorkflowBench
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.smtp import private_smtp
from tests.support.workflows import wait_finished, wait_for_node
from workflows.errors import PlanRefused
from workflows.host_work import Work

pytestmark = pytest.mark.integration

NEW_SERIAL = "NEWDISK-0001"


def test_a_disk_is_replaced_keeping_its_osd_id_once_the_new_serial_is_confirmed(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    device = bench.cluster.osd(5).device
    old_serial = bench.cluster.host("node2").device(device).serial
    plan = bench.plan("disk", "osd.5")
    assert plan.osds == (5,) and plan.hosts == ("node2",)
    handle = bench.submit(plan)
    gate = next(s.id for s in plan.steps if s.task == "cephmaint.wait_for_technician")
    wait_for_node(handle, gate, NodeState.RUNNING, timeout=240)
    assert bench.tree().node(5) is not None and bench.tree().node(5).status == "destroyed"

    bench.hostctl("node2", "swap-disk", device, NEW_SERIAL)
    for wrong in (old_serial or "SBX-OLD", "TYPO-0001"):
        refused = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                            f"serial={wrong}")
        assert refused.returncode == 0, refused.stderr
        time.sleep(6)  # several looks of the gate
        assert handle.node(gate)["state"] == NodeState.RUNNING
    confirmed = bench.cli("confirm", plan.reference, "--by", "tech", "--evidence",
                          f"serial={NEW_SERIAL}")
    assert confirmed.returncode == 0, confirmed.stderr

    assert wait_finished(handle, timeout=300) == WorkflowState.SUCCESS
    tree = bench.tree()
    assert tree.host_of(5) == "node2" and tree.node(5).up
    assert tree.crush_weights(frozenset({5})) == {5: 1.0}
    assert bench.sandbox.verify() == 400
    assert not {"noscrub", "nodeep-scrub"} & bench.dump().flags


def watch(bench: WorkflowBench, *options: str) -> dict[int, dict[str, Any]]:
    """One look of `cephmaint watch` at the sandbox: what it found, by OSD."""
    done = bench.cli("watch", "--cluster", bench.cluster.name, "--json", *options)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    return {found["osd"]: found for found in json.loads(line)["found"]}


def test_a_killed_osd_is_proposed_then_replaced_by_the_watch_its_data_recovered_then_back_once(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    bench.wait_healthy()
    cluster = bench.cluster
    device = cluster.osd(3).device
    weight = bench.tree().crush_weights(frozenset({3}))[3]
    self_heal = ("config get", {"who": "mgr", "key": SELF_HEAL_OPTION})
    with private_smtp() as smtp:
        email = EmailTarget(smtp_host="127.0.0.1", smtp_port=smtp.port,
                            sender="cephmaint@example.org", recipients=("ops@example.org",))
        policy = FailurePolicy(down_grace_seconds=8, failing_devices=FailingDevices.CEPHMAINT)
        write_inventory(Inventory(clusters=(cluster.model_copy(update={
            "failures": policy, "notifications": NotificationTargets(email=email)}),)),
            bench.inventory_path)
        try:
            # cephmaint acts on failing devices: devicehealth's self-heal goes off, recorded.
            assert watch(bench) == {}
            assert bench.with_ceph(lambda c: c.client.mon_command(*self_heal[:1],
                                                                  **self_heal[1])) is False
            recorded = bench.ledger().recall(f"watch.{cluster.name}", SELF_HEAL_KEY)
            assert recorded is True

            killed = time.monotonic()
            bench.hostctl("node1", "kill-osd", "3")  # the disk dies
            first = poll(lambda: watch(bench).get(3), timeout=60, interval=0.5,
                         what=lambda _: "osd.3 seen down")
            assert first["action"] == "watch" and first["kind"] == "failed", first
            proposed = poll(lambda: (f := watch(bench)[3])["action"] == "propose" and f,
                            timeout=60, interval=0.5, what=lambda _: "osd.3 proposed")
            to_proposal = time.monotonic() - killed
            assert proposed["done"] == "told (email)", proposed
            command = f"cephmaint run disk osd.3 --cluster {cluster.name} --failed"
            assert proposed["command"] == command
            [mail] = smtp.mailbox.messages
            assert f"[{cluster.name}] osd.3 on node1 failed: replacement proposed" \
                in mail["Subject"]
            body = mail.get_content().replace("\r\n", "\n")
            assert "failed disk replacement" in body and f"Approve it with:\n  {command}" \
                in body, body
            # Told once: the next look proposes the same, and sends nothing.
            assert watch(bench)[3]["done"] == "" and len(smtp.mailbox.messages) == 1

            # Not failed: up and holding PGs. A drain of the dead disk: the cluster is not
            # healthy.
            with pytest.raises(PlanRefused, match=r"osd\.2 is up and holds [0-9]+ PGs"):
                bench.plan("disk", "osd.2", failed=True)
            drain = bench.cli("run", "disk", "osd.3")
            assert drain.returncode == 1 and "OSD_DOWN" in drain.stderr, drain.stderr

            mark = bench.with_ceph(lambda c: audit_mark(c.client))
            started = poll(lambda: (f := watch(bench, "--auto")[3])["done"].startswith(
                "started") and f, timeout=60, interval=1, what=lambda _: "osd.3 started")
            to_start = time.monotonic() - killed
            print(f"\nkill to proposal {to_proposal:.1f} s, kill to start {to_start:.1f} s "
                  f"(grace {policy.down_grace_seconds:.0f} s)")
            reference = started["done"].removeprefix("started ")
            handle = bench.handle(reference)
            plan = bench.ledger().recall(reference, "plan")
            assert isinstance(plan, dict) and plan["kind"] == "failed disk replacement"
            assert watch(bench, "--auto")[3]["action"] == "skip"  # in its maintenance
            gate = next(s["id"] for s in plan["steps"]
                        if s["task"] == "cephmaint.wait_for_technician")
            wait_for_node(handle, gate, NodeState.RUNNING, timeout=240)
            node = bench.tree().node(3)
            assert node is not None and node.status == "destroyed" and node.out
            # Marked out by the maintenance, not by the monitor after mon_osd_down_out_interval.
            assert handle.node("out-failed-3")["result"]["marked_out_at"]

            bench.hostctl("node1", "swap-disk", device, "NEWDISK-0003")
            confirmed = bench.cli("confirm", reference, "--by", "tech", "--evidence",
                                  "serial=NEWDISK-0003")
            assert confirmed.returncode == 0, confirmed.stderr
            assert wait_finished(handle, timeout=300) == WorkflowState.SUCCESS
            assert watch(bench) == {}

            # The inventory hands failing devices back to Ceph: self-heal back on, once.
            write_inventory(Inventory(clusters=(cluster,)), bench.inventory_path)
            assert watch(bench) == {}
            assert bench.with_ceph(lambda c: c.client.mon_command(*self_heal[:1],
                                                                  **self_heal[1])) is True
            assert bench.ledger().recall(f"watch.{cluster.name}", SELF_HEAL_KEY) is None
        finally:
            write_inventory(Inventory(clusters=(cluster,)), bench.inventory_path)
    tree = bench.tree()
    assert tree.host_of(3) == "node1" and tree.node(3).up  # type: ignore[union-attr]
    assert tree.crush_weights(frozenset({3})) == {3: weight}
    assert bench.sandbox.verify() == 400
    bench.wait_restored(reference, ["node1"], after="the failed disk's replacement")
    # Ceph's own log: osd.3 marked out once, never drained (its first CRUSH change is the
    # new OSD's, after the swap), and no cluster-wide flag. The new OSD is made by the
    # sandbox's ceph-volume, as client.admin: every client's commands are read.
    sent = bench.with_ceph(lambda c: changes_since(c.client, mark, entity=None))
    outs = [m for m in sent if '"prefix": "osd out"' in m and ": dispatch" in m]
    assert len(outs) == 1 and '"ids": ["3"]' in outs[0], sent
    reweights = [i for i, m in enumerate(sent) if '"prefix": "osd crush reweight"' in m]
    created = next(i for i, m in enumerate(sent) if '"prefix": "osd new"' in m)
    assert reweights and min(reweights) > created, sent
    assert not [m for m in sent if '"prefix": "osd set", "key"' in m], sent
    # self_heal off, then back on, once each: Pacific's audit channel logs a `config set`
    # without its command (seen on the sandbox), so our trail says which one it was.
    heals = [(r.entry.details["args"]["value"], r.outcome) for r in bench.audit().records(
        Query(reference=f"watch.{cluster.name}")) if r.entry.action == "config set"]
    assert heals == [("false", Outcome.DONE), ("true", Outcome.DONE)], heals


@pytest.mark.full
@pytest.mark.timeout(600)
def test_a_host_that_never_comes_back_is_held_then_decommissioned_from_its_surviving_copies(
    workflow_bench: WorkflowBench,
) -> None:
    bench = workflow_bench
    bench.wait_healthy()
    cluster = bench.cluster
    write_inventory(Inventory(clusters=(cluster.model_copy(update={"max_down_seconds": 5}),)),
                    bench.inventory_path)
    try:
        bench.hostctl("node2", "die-on-next-boot")  # a mainboard that dies in the reboot
        plan = bench.plan("maintenance", "node2", reason="firmware", work=Work.REBOOT)
        handle = bench.submit(plan)
        # Past max_down: held under the host's own noout, the operators told, nothing out.
        poll(lambda: any(k.startswith("host-overdue:node2:")
                         for k in bench.ledger().entries(plan.reference)),
             timeout=180, interval=1, what=lambda _: handle.status().to_dict())
        shown = bench.cli("status", plan.reference).stdout
        assert "held: node2 down" in shown and "cephmaint extend" in shown, shown
        assert bench.dump().host_flags("node2") == {"noout"}
        tree = bench.tree()
        assert not any(tree.node(o).up or tree.node(o).out for o in (4, 5))  # type: ignore[union-attr]
        extended = bench.cli("extend", plan.reference, "--minutes", "10", "--reason", "tech")
        assert extended.returncode == 0, extended.stderr
        poll(lambda: "waiting for node2" in bench.cli("status", plan.reference).stdout,
             timeout=60, interval=1, what=lambda _: "the hold lifted by the extension")

        wrong = bench.cli("decommission-instead", plan.reference, "--host", "node1",
                          "--reason", "typo")
        assert wrong.returncode == 2 and "holds no host down past its time named node1" \
            in wrong.stderr, wrong.stderr
        mark = bench.with_ceph(lambda c: audit_mark(c.client))
        given = bench.cli("decommission-instead", plan.reference, "--reason", "mainboard dead")
        assert given.returncode == 0, given.stderr
        decided = bench.ledger().recall(plan.reference, given_up_key("node2"))
        assert isinstance(decided, dict) and decided["reason"] == "mainboard dead"
        assert wait_finished(handle, timeout=120) == WorkflowState.CANCELLED

        def started() -> bool:
            try:
                return bench.handle(decided["decommission"]).status() is not None
            except UnknownWorkflowError:
                return False

        poll(started, timeout=120, interval=1, what=lambda _: "the queued decommission")
        decommission = bench.handle(decided["decommission"])
        assert wait_finished(decommission, timeout=300) == WorkflowState.SUCCESS, \
            decommission.status().to_dict()
    finally:
        write_inventory(Inventory(clusters=(cluster,)), bench.inventory_path)
    assert "node2" not in bench.tree().hosts()
    assert bench.sandbox.verify() == 400
    assert bench.with_ceph(lambda c: c.status()).health.ok
    assert bench.restored(decided["decommission"], ["node2"])
    assert not bench.dump().host_flags("node2")
    # Ceph's own log: node2's OSDs marked out (once each) and purged, never drained.
    sent = bench.with_ceph(lambda c: changes_since(c.client, mark))
    outs = [m for m in sent if '"prefix": "osd out"' in m and ": dispatch" in m]
    for osd in (4, 5):
        assert len([m for m in outs if f'"ids": ["{osd}"]' in m]) == 1, sent
    assert not [m for m in sent if '"prefix": "osd crush reweight"' in m], sent
