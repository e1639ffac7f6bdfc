"""The page of one maintenance (GET /maintenances/{reference}) and its live part
(GET /maintenances/{reference}/steps, an HTML fragment that static/live.js fetches again
every few seconds): its state and progress, its steps as a graph and as a list, its recent
events and its audit trail; to operators, its controls too (cephmaint.web.controls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ceph_tasks.audit import Record
from ceph_tasks.audit.entry import describe
from ceph_tasks.errors import AuditError, InvalidInput
from ceph_tasks.reference import check_reference
from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.backend import AUDIT_SHOWN, Maintenances
from cephmaint.web.context import Principal, render, web_of
from cephmaint.web.graph import Layout, graph_of
from cephmaint.web.overview import Overview, read_overview
from workflows.starter import REFUSED_KEY


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the page lists it."""

    at: float
    actor: str
    kind: str
    what: str
    outcome: str


@dataclass(frozen=True)
class Audit:
    """The audit entries of a maintenance shown, and whether older ones were left out."""

    lines: tuple[AuditLine, ...] = ()
    more: bool = False
    problem: str = ""


def reference_of(request: Request) -> str:
    """The maintenance reference in the path; 404 for one that cannot be a reference."""
    reference = str(request.path_params["reference"])
    try:
        return check_reference(reference)
    except InvalidInput as e:
        raise HTTPException(404, "No maintenance has that reference.") from e


def audit_lines(records: Sequence[Record], limit: int = AUDIT_SHOWN) -> Audit:
    """Records as the page lists them, oldest first, newest last."""
    return Audit(tuple(AuditLine(r.entry.at.timestamp(), r.entry.actor, str(r.entry.kind),
                                 describe(r), str(r.outcome)) for r in records),
                 more=len(records) >= limit)


def graph_for(overview: Overview) -> Layout:
    """The graph of a maintenance's steps."""
    return graph_of([(s.id, s.title, str(s.state)) for s in overview.steps],
                    {s.id: s.after for s in overview.steps})


def _read(maintenances: Maintenances, reference: str) -> tuple[Overview | None, Audit]:
    overview = read_overview(maintenances, reference)
    if overview is None:
        return None, Audit()
    try:
        audit = audit_lines(maintenances.audit_of(reference))
    except AuditError as e:
        # The page is still worth showing without its trail: say what is missing.
        audit = Audit(problem=f"The audit trail cannot be read: {e}")
    return overview, audit


async def _unknown(request: Request, reference: str) -> HTTPException:
    ledger = web_of(request).maintenances.ledger
    given_up = await run_in_threadpool(ledger.recall, reference, REFUSED_KEY)
    if given_up is not None:
        return HTTPException(404, f"{reference} was queued, then given up: {given_up}")
    return HTTPException(404, f"No maintenance {reference} is queued or known to the state "
                              "store: check the reference, or it finished long ago (its "
                              "audit trail is kept: cephmaint audit --reference).")


async def show_maintenance(request: Request, who: Principal, reference: str, *,
                           flash: str = "", problem: str = "", status: int = 200) -> Response:
    """The maintenance page, with a line on what was just done or why it was refused."""
    overview, audit = await run_in_threadpool(_read, web_of(request).maintenances, reference)
    if overview is None:
        raise await _unknown(request, reference)
    return render(request, "maintenance.html", who=who, status=status, o=overview,
                  graph=graph_for(overview), audit=audit, flash=flash, problem=problem)


@require(Role.VIEWER)
async def maintenance_page(request: Request, who: Principal) -> Response:
    """GET /maintenances/{reference}: the whole page."""
    reference = reference_of(request)
    flash = await run_in_threadpool(web_of(request).sessions.take_flash, who.session.key)
    return await show_maintenance(request, who, reference, flash=flash)


@require(Role.VIEWER)
async def steps_fragment(request: Request, who: Principal) -> Response:
    """GET /maintenances/{reference}/steps: the live part of the page, alone."""
    reference = reference_of(request)
    overview = await run_in_threadpool(read_overview, web_of(request).maintenances, reference)
    if overview is None:
        raise await _unknown(request, reference)
    return render(request, "maintenance_live.html", who=who, o=overview,
                  graph=graph_for(overview))


ROUTES = [
    Route("/maintenances/{reference}", maintenance_page, methods=["GET"], name="maintenance"),
    Route("/maintenances/{reference}/steps", steps_fragment, methods=["GET"],
          name="maintenance_steps"),
]
