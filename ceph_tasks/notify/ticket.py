"""JIRA-style tickets (REST API v2): open one per maintenance, read its status, comment.

A ticket carries the label `cephmaint-<reference>`, so opening twice finds the first one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

from ceph_tasks.errors import NotificationError
from ceph_tasks.http import DEFAULT_TIMEOUT, call, join_url, json_body, strip_credentials
from ceph_tasks.notify.message import TechnicianMessage
from ceph_tasks.reference import check_reference
from inventory.settings import TicketTarget

log = logging.getLogger(__name__)

ISSUE_PATH = "/rest/api/2/issue"
SEARCH_PATH = "/rest/api/2/search"

_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[0-9]+")


def check_key(key: str) -> str:
    """Accept an issue key such as OPS-123 (it goes into URL paths)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"{key!r} is not an issue key like 'OPS-123'")
    return key


def reference_label(reference: str) -> str:
    """The label that marks the ticket of one maintenance."""
    return f"cephmaint-{check_reference(reference)}"


def jql_string(value: str) -> str:
    """A JQL string literal: quoted, with backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_jql(project: str, reference: str) -> str:
    """JQL finding the ticket of a maintenance in a project."""
    return f"project = {jql_string(project)} AND labels = {jql_string(reference_label(reference))}"


def issue_body(message: TechnicianMessage, project: str, issue_type: str) -> dict[str, Any]:
    """The JSON of POST /rest/api/2/issue for a technician message."""
    return {
        "fields": {
            "project": {"key": project},
            "summary": message.subject,
            "description": message.body,
            "issuetype": {"name": issue_type},
            "labels": [reference_label(message.reference)],
        }
    }


class TicketTracker(Protocol):
    """Where a maintenance's ticket is opened and later read to release a gate."""

    def notify(self, message: TechnicianMessage) -> str:
        """Open the maintenance's ticket unless it exists; return its key."""
        ...

    def ticket_status(self, key: str) -> str:
        """The ticket's status name."""
        ...

    def comment(self, key: str, text: str) -> str:
        """Add a comment; return its id."""
        ...

    def close(self, key: str, text: str) -> str:
        """Comment, then move the ticket to a done status; return the status it ends in."""
        ...


@dataclass(frozen=True)
class TicketState:
    """A ticket's workflow status and its category (new, indeterminate, done)."""

    key: str
    status: str
    category: str

    @property
    def done(self) -> bool:
        """Whether the workflow counts the ticket as finished, whatever the status is named."""
        return self.category == "done"


def parse_state(key: str, document: Any) -> TicketState:
    """Read GET /rest/api/2/issue/{key}?fields=status; ValueError when the shape is wrong."""
    try:
        status = document["fields"]["status"]
        category = status.get("statusCategory") or {}
        name, category_key = str(status["name"]), str(category.get("key", ""))
        return TicketState(key=key, status=name, category=category_key)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"no status name in the answer ({e})") from e


def done_transition(document: Any) -> str | None:
    """The id of a transition into a done status, from GET .../transitions (None: none)."""
    transitions = document.get("transitions") if isinstance(document, Mapping) else None
    if not isinstance(transitions, list):
        raise ValueError("expected an object with a 'transitions' list")
    for transition in transitions:
        target = transition.get("to") if isinstance(transition, Mapping) else None
        category = target.get("statusCategory") if isinstance(target, Mapping) else None
        if isinstance(category, Mapping) and category.get("key") == "done":
            return str(transition["id"])
    return None


def parse_found_key(document: Any) -> str | None:
    """The first issue key of a search answer, or None when it found nothing."""
    if not isinstance(document, Mapping) or not isinstance(document.get("issues"), list):
        raise ValueError("expected an object with an 'issues' list")
    issues = document["issues"]
    return str(issues[0]["key"]) if issues else None


class TicketClient:
    """A JIRA-style tracker reached with a bearer token (a personal access token)."""

    def __init__(
        self,
        target: TicketTarget,
        *,
        issue_type: str = "Task",
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._url = target.url
        self._project = target.project
        self._issue_type = issue_type
        self._session = session or requests.Session()
        # The SecretStr is unwrapped only here, into the session that sends it.
        self._session.headers["Authorization"] = f"Bearer {target.token.get_secret_value()}"
        self._session.headers["Accept"] = "application/json"
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"TicketClient(url={strip_credentials(self._url)!r}, project={self._project!r})"

    def find_ticket(self, reference: str) -> str | None:
        """The key of the ticket already opened for a maintenance, if any."""
        doing = f"ticket search for ref {reference} in project {self._project}"
        url = join_url(self._url, SEARCH_PATH)
        response = call(
            self._session, "GET", url, doing=doing, error=NotificationError,
            timeout=self._timeout,
            params={"jql": search_jql(self._project, reference), "fields": "status",
                    "maxResults": 1},
        )
        try:
            return parse_found_key(json_body(response, doing=doing, error=NotificationError,
                                             where=url))
        except (ValueError, KeyError, TypeError) as e:
            raise NotificationError(f"{doing}: {url} answered an unexpected shape: {e}") from e

    def notify(self, message: TechnicianMessage) -> str:
        """Open the maintenance's ticket unless it exists; return its key."""
        existing = self.find_ticket(message.reference)
        if existing is not None:
            log.info("ticket %s already open for ref %s", existing, message.reference)
            return existing
        doing = f"ticket for host {message.host} (ref {message.reference})"
        url = join_url(self._url, ISSUE_PATH)
        response = call(
            self._session, "POST", url, doing=doing, error=NotificationError,
            timeout=self._timeout, ok=(200, 201),
            json=issue_body(message, self._project, self._issue_type),
        )
        document = json_body(response, doing=doing, error=NotificationError, where=url)
        key = document.get("key") if isinstance(document, Mapping) else None
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise NotificationError(f"{doing}: {url} answered no issue key")
        log.info("ticket %s opened for host %s (ref %s)", key, message.host, message.reference)
        return key

    def ticket_state(self, key: str) -> TicketState:
        """The ticket's status and status category."""
        check_key(key)
        doing = f"reading the status of ticket {key}"
        url = join_url(self._url, f"{ISSUE_PATH}/{quote(key)}")
        response = call(
            self._session, "GET", url, doing=doing, error=NotificationError,
            timeout=self._timeout, params={"fields": "status"},
        )
        try:
            return parse_state(key, json_body(response, doing=doing, error=NotificationError,
                                              where=url))
        except ValueError as e:
            raise NotificationError(f"{doing}: {url}: {e}") from e

    def ticket_status(self, key: str) -> str:
        """The ticket's status name, e.g. 'Open' or 'Done'."""
        return self.ticket_state(key).status

    def comment(self, key: str, text: str) -> str:
        """Add a comment to the ticket; return the comment's id."""
        check_key(key)
        doing = f"commenting on ticket {key}"
        url = join_url(self._url, f"{ISSUE_PATH}/{quote(key)}/comment")
        response = call(
            self._session, "POST", url, doing=doing, error=NotificationError,
            timeout=self._timeout, ok=(200, 201), json={"body": text},
        )
        document = json_body(response, doing=doing, error=NotificationError, where=url)
        if not isinstance(document, Mapping) or "id" not in document:
            raise NotificationError(f"{doing}: {url} answered no comment id")
        return str(document["id"])

    def close(self, key: str, text: str) -> str:
        """Comment, then move the ticket to a done status unless it is in one already."""
        self.comment(key, text)
        state = self.ticket_state(key)
        if state.done:
            return state.status
        doing = f"closing ticket {key}"
        url = join_url(self._url, f"{ISSUE_PATH}/{quote(key)}/transitions")
        response = call(self._session, "GET", url, doing=doing, error=NotificationError,
                        timeout=self._timeout)
        try:
            transition = done_transition(json_body(response, doing=doing,
                                                   error=NotificationError, where=url))
        except (ValueError, KeyError) as e:
            raise NotificationError(f"{doing}: {url} answered an unexpected shape: {e}") from e
        if transition is None:
            raise NotificationError(f"{doing}: no transition from {state.status} leads to a "
                                    "done status; close it by hand")
        call(self._session, "POST", url, doing=doing, error=NotificationError,
             timeout=self._timeout, ok=(200, 204), json={"transition": {"id": transition}})
        return self.ticket_state(key).status
