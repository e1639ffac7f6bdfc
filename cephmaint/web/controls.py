"""An operator's controls of a maintenance: POST /maintenances/{reference}/pause, resume,
cancel, retry and skip (the step in the form), each with an optional reason.

Each goes through `require(Role.OPERATOR)` (session, CSRF token, role) and is audited with
`operator_action` as `cephmaint pause|resume|cancel|retry|skip` do, under the signed-in
user's name; then back to the page (303) with a line saying what was done. A control the
maintenance's state refuses shows the page with the refusal (409), nothing changed.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.backend import Maintenances
from cephmaint.web.context import Principal, web_of
from cephmaint.web.maintenance_page import reference_of, show_maintenance
from dyrygent.errors import InvalidTransitionError, UnknownNodeError, UnknownWorkflowError
from workflows.controls import CONTROLS, control
from workflows.errors import ClusterBusy, ControlRefused

log = logging.getLogger(__name__)

#: What the maintenance's state may refuse: said on the page, nothing changed.
REFUSALS = (ControlRefused, InvalidTransitionError, UnknownNodeError, ClusterBusy)
#: The longest reason kept: a sentence or two, not a document.
MAX_REASON = 500


def act(maintenances: Maintenances, action: str, reference: str, *, who: str, why: str,
        step: str = "") -> str:
    """Take an operator's control of a maintenance, audited; what was done, in a line."""
    return "; ".join(control(maintenances.app, action, reference, who=who, why=why,
                             step=step))


def _field(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def control_route(action: str) -> Route:
    """The route of one control."""
    @require(Role.OPERATOR)
    async def control(request: Request, who: Principal) -> Response:
        reference = reference_of(request)
        form = await request.form()
        why, step = _field(form.get("reason")), _field(form.get("step"))
        if len(why) > MAX_REASON:
            raise HTTPException(400, f"The reason is longer than {MAX_REASON} characters.")
        if action == "skip" and not step:
            raise HTTPException(400, "Say which step to skip.")
        web = web_of(request)
        try:
            said = await run_in_threadpool(act, web.maintenances, action, reference,
                                           who=who.name, why=why, step=step)
        except UnknownWorkflowError as e:
            raise HTTPException(404, f"No maintenance {reference} is known to the state "
                                     "store.") from e
        except REFUSALS as e:
            log.info("user %s: %s of %s refused: %s", who.name, action, reference, e)
            return await show_maintenance(request, who, reference, status=409,
                                          problem=f"{action.capitalize()} refused: {e}")
        log.info("user %s: %s", who.name, said)
        await run_in_threadpool(web.sessions.flash, who.session.key, said)
        return RedirectResponse(f"/maintenances/{reference}", status_code=303)
    control.__name__ = f"{action}_control"
    return Route(f"/maintenances/{{reference}}/{action}", control, methods=["POST"],
                 name=f"maintenance_{action}")


ROUTES = [control_route(action) for action in CONTROLS]
