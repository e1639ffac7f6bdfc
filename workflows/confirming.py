"""A technician's confirmation, checked and recorded: `cephmaint confirm` and the
technicians' page both go through `confirm`.

Only a maintenance whose technician step is waiting takes one: a mistyped reference, or
a confirmation given too early, would otherwise be recorded and never read. The serials
are checked for their form and their number here, at once; whether the host reports them
is the gate's check (ceph_tasks.decisions.technician_gate), at its next look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from celery import Celery

from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key, parse_evidence
from ceph_tasks.errors import InvalidInput
from ceph_tasks.ledger import Ledger
from ceph_tasks.names import TaskName
from ceph_tasks.reference import check_reference
from dyrygent.errors import UnknownWorkflowError
from dyrygent.states import NodeState
from workflows.audit import operator_action
from workflows.engine import processor_of
from workflows.errors import ControlRefused


def technician_steps(plan: Mapping[str, Any], host: str | None = None
                     ) -> list[dict[str, Any]]:
    """The recorded plan's steps that wait for a technician (for one host, if given)."""
    return [s for s in plan.get("steps", []) if s["task"] == TaskName.WAIT_FOR_TECHNICIAN
            and (host is None or s["kwargs"].get("host") == host)]


def expected_serials(step: Mapping[str, Any]) -> int:
    """How many new disk serials a technician step's confirmation must carry."""
    return int(step["kwargs"].get("expect_serials") or 0)


def confirm(app: Celery, ledger: Ledger, reference: str, serials: Sequence[str], *,
            who: str, host: str | None, now: datetime) -> Confirmation:
    """Record who confirmed the work on a maintenance (on one host, or all), with the
    serials of the disks put in; the recorded confirmation.

    InvalidInput for a bad reference, a malformed serial or as many serials as the waiting
    step does not expect; ControlRefused when no technician step (of host) is waiting;
    UnknownWorkflowError when the maintenance is not known. Nothing is written then.
    """
    check_reference(reference)
    given = parse_evidence([f"serial={serial}" for serial in serials])
    who = who.strip()
    if not who:
        raise InvalidInput("a confirmation must name who did the work")
    handle = processor_of(app).handle(reference)
    try:
        handle.status()
    except UnknownWorkflowError as e:
        raise UnknownWorkflowError(f"no workflow {reference!r} in the state store: check "
                                   "the reference the technicians' message gives") from e
    recorded = ledger.recall(reference, "plan")
    plan = recorded if isinstance(recorded, dict) else {}
    steps = technician_steps(plan, host)
    scope = f" for host {host}" if host else ""
    if not steps:
        raise ControlRefused(f"maintenance {reference} has no technician step{scope}: "
                             "there is nothing to confirm")
    states = {str(s["id"]): handle.node(str(s["id"]))["state"] for s in steps}
    if NodeState.RUNNING not in states.values():
        shown = ", ".join(f"{step} is {state.lower()}" for step, state in states.items())
        raise ControlRefused(f"maintenance {reference} is not waiting for a technician "
                             f"({shown}); confirm once its message went out")
    for step in steps:
        expected = expected_serials(step)
        if states[str(step["id"])] == NodeState.RUNNING and expected and \
                len(given) != expected:
            raise InvalidInput(f"{step['id']} waits for the serials of {expected} new "
                               f"disk(s), one per disk put in; {len(given)} different "
                               "serial(s) given")
    confirmation = Confirmation(by=who, at=now, serials=given)
    cluster = plan.get("cluster")
    with operator_action(app, "confirm", reference, who=who,
                         cluster=cluster if isinstance(cluster, str) else None,
                         details={"host": host, "serials": list(given)}):
        ledger.note(reference, confirmation_key(host), confirmation.to_json())
    return confirmation
