"""Two rules on every request and answer of `cephmaint serve`, as ASGI middleware.

AllowedHosts answers 400 to a Host header not in the allow-list (DNS rebinding, poisoned
links); unlike Starlette's TrustedHostMiddleware it reads IPv6 literals ([::1]:8080) and
ignores case, as RFC 9110 says hosts compare. SecurityHeaders adds what keeps a browser
from framing the pages, sniffing types, leaking addresses or caching pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Only this app's own files: no inline script or style, no form posted elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: The static files may be cached (they change with the package); pages never.
STATIC_PREFIX = "/static/"


def host_of(value: str) -> str:
    """The host of a Host header (or of an allow-list entry): no port, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    if value.count(":") == 1:
        value = value.split(":")[0]
    return value.rstrip(".")


def parse_hosts(setting: str) -> frozenset[str]:
    """The hosts of a comma-separated allow-list."""
    return frozenset(host for host in (host_of(part) for part in setting.split(",")) if host)


class AllowedHosts:
    """Answer 400 to a request whose Host header names no allowed host."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app, self.hosts = app, frozenset(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or refuse it."""
        if scope["type"] in ("http", "websocket"):
            host = host_of(Headers(scope=scope).get("host", ""))
            if host not in self.hosts:
                refusal = PlainTextResponse("this server does not answer to that host name",
                                            status_code=400)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add the security headers to every answer, and Cache-Control: no-store to pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers as the answer starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
