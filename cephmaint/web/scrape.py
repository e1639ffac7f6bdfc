"""GET /metrics for Prometheus, behind a bearer token (not the login: a scraper has none).

Without a token in the settings, /metrics does not exist (404); with one, a request
without it, or with another, gets 401. Prometheus sends it with
`authorization: {type: Bearer, credentials_file: ...}` in its scrape config.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from cephmaint.web.context import web_of


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer TOKEN` header; empty for any other."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def metrics(request: Request) -> Response:
    """GET /metrics: the registry's metrics in Prometheus's text format."""
    web = web_of(request)
    expected = web.settings.metrics_token
    if not expected:
        raise HTTPException(404)
    given = bearer_token(request.headers.get("authorization", ""))
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return PlainTextResponse("a bearer token is needed", status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="cephmaint"'})
    body = await run_in_threadpool(generate_latest, web.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
