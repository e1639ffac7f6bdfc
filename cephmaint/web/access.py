"""Who a request comes from, and the one gate every route passes: `require(role)`.

A request is signed in when its cookie names a live session and the users file still
gives that user the session's role and password: a user removed, demoted or given a new
password loses the session at their next request, whatever Redis still holds. A change
(any method but GET and HEAD) also needs the session's CSRF token in its form; whatever
fails, the handler is not called.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import cast

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cephmaint.web.accounts import Role
from cephmaint.web.context import Principal, web_of

#: Methods that change nothing: they need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD"})
#: The form field every form carries its CSRF token in.
CSRF_FIELD = "csrf"

#: Marks a request not looked at yet (None is an answer: nobody signed in).
_UNKNOWN = object()

Handler = Callable[[Request, Principal], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def same_token(given: object, expected: str) -> bool:
    """Whether a submitted token is the expected one (constant time; empty never is)."""
    if not isinstance(given, str) or not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def signed_in(request: Request) -> Principal | None:
    """The user the request comes from; None without a live session that still holds."""
    known = getattr(request.state, "principal", _UNKNOWN)
    if known is not _UNKNOWN:
        return cast(Principal | None, known)
    web = web_of(request)
    found = None
    session_id = request.cookies.get(web.cookies.session, "")
    session = await run_in_threadpool(web.sessions.find, session_id) if session_id else None
    if session is not None:
        account = (await run_in_threadpool(web.users)).get(session.user)
        if account is None or (account.role, account.stamp) != (session.role, session.stamp):
            await run_in_threadpool(web.sessions.end, session.key)
        else:
            found = Principal(account.name, account.role, session)
    request.state.principal = found
    return found


def require(role: Role) -> Callable[[Handler], Endpoint]:
    """Guard a route: a session of a user with at least role, and for a change its CSRF
    token too; else 403 (a page asked for without a session goes to the login form)."""
    def guard(handler: Handler) -> Endpoint:
        @wraps(handler)
        async def guarded(request: Request) -> Response:
            who = await signed_in(request)
            change = request.method not in SAFE_METHODS
            if who is None:
                if not change:
                    return RedirectResponse("/login", status_code=303)
                raise HTTPException(403, "You are not signed in, or your session ended: "
                                         "sign in again.")
            if change:
                form = await request.form()
                if not same_token(form.get(CSRF_FIELD), who.session.csrf):
                    raise HTTPException(403, "This form is out of date or did not come from "
                                             "this site: reload the page and try again.")
            if not who.role.allows(role):
                raise HTTPException(403, f"This needs the {role} role; you are a {who.role}.")
            return await handler(request, who)
        return guarded
    return guard
