"""Per-OSD recovery settings while data moves: the throttles' recovery section, per scheduler.

Each up OSD's running op queue and the config database are read; the pure decision
(ceph_tasks.decisions.recovery_settings) says what each OSD gets and what is the
operator's. Every `config set osd.N` is recorded in the ledger first with the OSD's entry
before it (or that there was none); the restore task puts that back.
"""

from __future__ import annotations

import contextlib
from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.recovery_settings import (
    OP_QUEUE,
    RecoveryView,
    own_value,
    places,
    record,
    to_send,
)
from ceph_tasks.decisions.restoration import Kind, recorded
from ceph_tasks.errors import CephNotFound, DeadlineExceeded
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, step

#: Seconds to wait, and between looks, for up OSDs to report their running config.
REPORT_GRACE, REPORT_INTERVAL = 30.0, 2.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.APPLY_RECOVERY_SETTINGS)  # type: ignore[untyped-decorator]
def apply_recovery_settings(self: MaintenanceTask, cluster: str, reference: str
                            ) -> dict[str, Any]:
    """Give each up OSD the throttles' recovery settings for its scheduler; the operator's
    own config database entries kept."""
    what = f"cluster {cluster}: per-OSD recovery settings"
    ctx = self.context
    with step(what):
        asked = ctx.cluster(cluster).throttles.recovery
    if asked is None:
        return {"cluster": cluster, "set": [], "kept": [], "groups": [],
                "note": "the inventory asks for no recovery settings"}
    with step(f"{what}: ceph osd tree, config show OSD osd_op_queue, config dump"):
        ceph = ctx.ceph(cluster)
        view = recovery_view(ceph)
        ours = recorded(ctx.ledger.entries(reference), [Kind.RECOVERY])
    unreported = [osd for osd, queue in view.op_queues.items() if queue is None]
    if unreported:
        # An OSD that has just started (a new host's, created by the step before) reports
        # its running config to the manager within a few seconds: wait that long for it
        # before leaving it alone (said so in the result's groups).
        with contextlib.suppress(DeadlineExceeded):
            self.again(reference=reference, countdown=REPORT_INTERVAL, timeout=REPORT_GRACE,
                       waiting_for=f"{what}: the running config of every up OSD",
                       last_seen=f"none yet from osd.{', osd.'.join(map(str, unreported))}")
    decision = view.decide(asked, ours)
    sending = to_send(decision, view.config)
    with step(what):
        for setting in sending:
            # Recorded before the change, once: a re-run reads the first answer back.
            before = own_value(view.config, setting.osd, setting.option)
            stored = ctx.ledger.remember(reference, setting.ledger_key, record(setting, before))
            if isinstance(stored, dict) and stored.get("set") != setting.value:
                # The inventory asks for another value since: the entry before stays.
                ctx.ledger.note(reference, setting.ledger_key,
                                {"before": stored.get("before"), "set": setting.value})
    self.send(what, ceph, [s.change() for s in sending])
    return {"cluster": cluster, "set": [s.change().says for s in sending],
            "kept": [f"osd.{k.osd} {k.option} {k.value} ({k.where})" for k in decision.kept],
            "groups": decision.describe()}


def recovery_view(ceph: Ceph) -> RecoveryView:
    """Each up OSD's running op queue, the config database, and where each OSD sits."""
    tree = ceph.osd_tree()
    queues: dict[int, str | None] = {}
    for node in tree.osds():
        if not node.up:
            continue
        try:
            queues[node.id] = ceph.running_config(f"osd.{node.id}", OP_QUEUE)
        except CephNotFound:
            # Up in the map but not yet reporting to the manager (just started).
            queues[node.id] = None
    return RecoveryView(queues, ceph.config_dump(), places(tree))
