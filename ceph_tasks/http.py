"""One guarded HTTP call for the monitoring and notification adapters.

Every failure becomes an ExternalServiceError subclass naming what was being done, for
which host, and where; the text never carries credentials (see `shown_url`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from ceph_tasks.errors import ExternalServiceError

#: Seconds to connect and to wait between bytes; a stuck service must not hang a worker.
DEFAULT_TIMEOUT = 15.0

_BODY_EXCERPT = 200

_STATUS_MEANING = {
    400: "request rejected",
    401: "authentication refused",
    403: "permission denied",
    404: "not found",
    409: "conflict",
    429: "rate limited",
}


def strip_credentials(url: str) -> str:
    """The URL without any user:password@ part, for messages (each part of a Sentinel
    group's sentinel://...;sentinel://... URL)."""
    if url.startswith("sentinel://") and ";" in url:
        return ";".join(strip_credentials(part) for part in url.split(";"))
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def join_url(base: str, path: str) -> str:
    """Append an absolute API path to a base URL that may itself end in a prefix."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def describe_status(status: int) -> str:
    """A short human meaning for an HTTP status code."""
    if status in _STATUS_MEANING:
        return _STATUS_MEANING[status]
    return "server error" if status >= 500 else "unexpected status"


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    doing: str,
    error: type[ExternalServiceError],
    shown_url: str | None = None,
    ok: tuple[int, ...] = (200,),
    timeout: float = DEFAULT_TIMEOUT,
    chain_cause: bool = True,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; raise `error` naming `doing` and the URL unless the status is in ok.

    `shown_url` replaces `url` in messages when the URL itself is a secret (a webhook);
    then `chain_cause` should be False, because requests' own exception text embeds it.
    """
    where = shown_url if shown_url is not None else strip_credentials(url)
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as e:
        message = f"{doing}: {method} {where} failed: {type(e).__name__}"
        if chain_cause:
            raise error(f"{message} ({_cause_text(e, url, where)})") from e
        raise error(message) from None
    if response.status_code not in ok:
        excerpt = " ".join(response.text.split())[:_BODY_EXCERPT]
        detail = f": {excerpt}" if excerpt else ""
        raise error(
            f"{doing}: {method} {where} answered {response.status_code} "
            f"({describe_status(response.status_code)}){detail}"
        )
    return response


def json_body(response: requests.Response, *, doing: str, error: type[ExternalServiceError],
              where: str) -> Any:
    """The response's JSON document, or `error` when the body is not JSON."""
    try:
        return response.json()
    except ValueError as e:
        raise error(f"{doing}: {where} did not answer JSON") from e


def _cause_text(e: requests.RequestException, url: str, where: str) -> str:
    # requests repeats the URL it was given; show the credential-free one instead.
    return str(e).replace(url, where)
