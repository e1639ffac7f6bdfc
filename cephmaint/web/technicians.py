"""The technicians' pages: the queue of waiting technician steps (GET /technicians), one
maintenance's work with its confirmation form (GET /technicians/{reference}), and the
confirmation (POST /technicians/{reference}/confirm), for technicians and operators.

A confirmation is checked and recorded by workflows.confirming, as `cephmaint confirm`
records it, under the signed-in user's name. A malformed serial or the wrong number of them
is said at once (400, nothing recorded); a serial the host does not report is the gate's to
find at its next look, and its rejection is shown on the maintenance's page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ceph_tasks.errors import InvalidInput
from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.backend import Maintenances
from cephmaint.web.context import Principal, render, web_of
from cephmaint.web.gates import Wait, fleet_waits, waits_of
from cephmaint.web.maintenance_page import reference_of
from dyrygent.errors import UnknownWorkflowError
from workflows.confirming import confirm
from workflows.errors import ControlRefused

log = logging.getLogger(__name__)

#: The most serial fields a form may carry: far more than a host has bays.
MAX_SERIALS = 64


@require(Role.TECHNICIAN)
async def queue_page(request: Request, who: Principal) -> Response:
    """GET /technicians: every technician step waiting in the fleet, the longest first."""
    web = web_of(request)
    waits = await run_in_threadpool(fleet_waits, web.maintenances)
    return render(request, "technicians.html", who=who, waits=waits, now=web.clock())


def _known(maintenances: Maintenances, reference: str) -> list[Wait] | None:
    """The waiting steps of a maintenance; None when it is neither started nor queued."""
    handle = maintenances.handle(reference)
    if handle is None:
        return None if maintenances.queued(reference) is None else []
    return waits_of(maintenances, reference, handle)


async def show_work(request: Request, who: Principal, reference: str, *, flash: str = "",
                    problem: str = "", status: int = 200,
                    typed: Mapping[str, Sequence[str]] | None = None) -> Response:
    """A maintenance's waiting technician steps, each with its confirmation form."""
    web = web_of(request)
    waits = await run_in_threadpool(_known, web.maintenances, reference)
    if waits is None:
        raise HTTPException(404, f"No maintenance {reference} is known: check the reference "
                                 "in the message you received.")
    return render(request, "technician.html", who=who, status=status, reference=reference,
                  waits=waits, now=web.clock(), flash=flash, problem=problem,
                  typed=typed or {})


@require(Role.TECHNICIAN)
async def work_page(request: Request, who: Principal) -> Response:
    """GET /technicians/{reference}: what to do, where, and the form to confirm it."""
    reference = reference_of(request)
    flash = await run_in_threadpool(web_of(request).sessions.take_flash, who.session.key)
    return await show_work(request, who, reference, flash=flash)


@require(Role.TECHNICIAN)
async def confirm_work(request: Request, who: Principal) -> Response:
    """POST /technicians/{reference}/confirm: record the confirmation, as cephmaint confirm."""
    reference = reference_of(request)
    form = await request.form()
    host = form.get("host")
    if not isinstance(host, str) or not host.strip():
        raise HTTPException(400, "Say which host the work was done on.")
    host = host.strip()
    fields = [v.strip() for v in form.getlist("serial") if isinstance(v, str)]
    if len(fields) > MAX_SERIALS:
        raise HTTPException(400, f"At most {MAX_SERIALS} serials at once.")
    # Fields left empty are no serial: the count check says how many are missing.
    serials = [s for s in fields if s]
    web = web_of(request)
    now = datetime.fromtimestamp(web.clock(), UTC)
    maintenances = web.maintenances
    try:
        confirmation = await run_in_threadpool(
            lambda: confirm(maintenances.app, maintenances.ledger, reference, serials,
                            who=who.name, host=host, now=now))
    except UnknownWorkflowError as e:
        raise HTTPException(404, f"No maintenance {reference} is known: check the "
                                 "reference in the message you received.") from e
    except (InvalidInput, ControlRefused) as e:
        status = 400 if isinstance(e, InvalidInput) else 409
        log.info("user %s: confirmation of %s on %s refused: %s", who.name, reference, host, e)
        return await show_work(request, who, reference, status=status, typed={host: fields},
                               problem=f"Nothing was recorded: {e}")
    said = (f"Recorded for {host}: {confirmation.describe()}. The gate checks it at its next "
            "look; this page shows what it finds.")
    log.info("user %s: %s on %s: %s", who.name, reference, host, confirmation.describe())
    await run_in_threadpool(web.sessions.flash, who.session.key, said)
    return RedirectResponse(f"/technicians/{reference}", status_code=303)


ROUTES = [
    Route("/technicians", queue_page, methods=["GET"], name="technicians"),
    Route("/technicians/{reference}", work_page, methods=["GET"], name="technician_work"),
    Route("/technicians/{reference}/confirm", confirm_work, methods=["POST"],
          name="technician_confirm"),
]
