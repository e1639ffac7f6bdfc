"""Signing in and out: GET and POST /login, POST /logout.

The login form has no session to take a CSRF token from, so it carries one of its own,
also set in a cookie, and a POST whose two copies differ is refused (double submit: no
other site can read or set the cookie). Every login opens a new session with a new id,
and ends the one the browser held, so that no id chosen before login survives it.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cephmaint.web.access import CSRF_FIELD, require, same_token, signed_in
from cephmaint.web.accounts import Role
from cephmaint.web.context import Principal, render, utc, web_of
from cephmaint.web.passwords import decoy_hash, verify_password

log = logging.getLogger(__name__)
WRONG = "Wrong user or password."
#: A login token as login_form makes them (token_urlsafe(32): 43 URL-safe characters).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: Longer names are no user's (accounts.NAME_PATTERN); cut before logging.
_MAX_NAME = 64


def client_address(request: Request) -> str:
    """The address a request came from (the proxy's X-Forwarded-For, read by uvicorn)."""
    return request.client.host if request.client else "unknown"


def login_form(request: Request, *, status: int = 200, message: str = "",
               headers: Mapping[str, str] | None = None) -> Response:
    """The login form, with the browser's CSRF token in it and in its cookie (a new one when
    it has none): a login page open in one tab stays valid while another tab's live refresh
    is sent to /login."""
    web = web_of(request)
    kept = request.cookies.get(web.cookies.login, "")
    token = kept if _TOKEN.fullmatch(kept) else secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, headers=headers, csrf=token,
                      message=message)
    web.cookies.put(response, web.cookies.login, token)
    return response


async def login_page(request: Request) -> Response:
    """GET /login: the form; a user already signed in goes to the fleet page."""
    if await signed_in(request) is not None:
        return RedirectResponse("/", status_code=303)
    return login_form(request)


async def login(request: Request) -> Response:
    """POST /login: check the password, within the failed-login limits; open a session."""
    web = web_of(request)
    form = await request.form()
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(web.cookies.login, "")):
        raise HTTPException(403, "This login form is out of date or did not come from this "
                                 "site: reload the page and sign in again.")
    name, password = form.get("user"), form.get("password")
    name = name.strip() if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    address = client_address(request)
    wait = await run_in_threadpool(web.throttle.wait, name, address)
    if wait > 0:
        log.warning("login refused for user %r from %s: too many failures", name[:_MAX_NAME],
                    address)
        # The page shows minutes: round up, never tell a time that is still too early.
        again = web.clock() + wait + 59
        minutes = max(1, math.ceil(wait / 60))
        return login_form(request, status=429, headers={"Retry-After": str(math.ceil(wait))},
                          message=f"Too many failed logins. Try again after {utc(again)} "
                                  f"UTC (in about {minutes} minute{'s' * (minutes > 1)}).")
    account = (await run_in_threadpool(web.users)).get(name)
    # An unknown user costs one hash check too: how long the answer takes tells nothing.
    hashed = account.password_hash if account is not None else decoy_hash()
    matches = await run_in_threadpool(verify_password, hashed, password)
    if account is None or not matches:
        await run_in_threadpool(web.throttle.failed, name, address)
        log.warning("failed login for user %r from %s", name[:_MAX_NAME], address)
        return login_form(request, status=401, message=WRONG)
    await run_in_threadpool(web.throttle.succeeded, name)
    held = await signed_in(request)
    if held is not None:
        await run_in_threadpool(web.sessions.end, held.session.key)
    session_id, _ = await run_in_threadpool(web.sessions.open, account.name, account.role,
                                            account.stamp)
    log.info("user %s (%s) signed in from %s", account.name, account.role, address)
    response = RedirectResponse("/", status_code=303)
    web.cookies.put(response, web.cookies.session, session_id)
    web.cookies.drop(response, web.cookies.login)
    return response


@require(Role.VIEWER)
async def logout(request: Request, who: Principal) -> Response:
    """POST /logout: end the session, here and in Redis."""
    web = web_of(request)
    await run_in_threadpool(web.sessions.end, who.session.key)
    log.info("user %s signed out", who.name)
    response = RedirectResponse("/login", status_code=303)
    web.cookies.drop(response, web.cookies.session)
    return response
