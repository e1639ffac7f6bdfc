"""The one write path into the audit trail: an entry before the action, its end after.

Adapters (the Ceph client, the SSH executor, the downtime and notification clients, the
ledger) and the operator's commands all write through `Trail.action`. The scope of the
maintenance step being run (who, which maintenance, which step) comes from the task that
runs: `within(scope)` sets it for the code inside, so adapters deep below need no extra
arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceph_tasks.audit.entry import Kind, Outcome, Scope
from ceph_tasks.audit.store import AuditStore

_SCOPE: ContextVar[Scope | None] = ContextVar("cephmaint_audit_scope", default=None)


@contextmanager
def within(scope: Scope) -> Iterator[Scope]:
    """Run the code inside as scope: what it changes is written down as scope's."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current_scope() -> Scope | None:
    """The scope of the code running now, if any."""
    return _SCOPE.get()


@dataclass
class After:
    """What the code inside an action reports back: the value after the change."""

    value: Any = None


class Trail:
    """Writes actions and changes to an audit store, each before it happens."""

    def __init__(self, store: AuditStore, now: Callable[[], datetime],
                 fallback: Scope) -> None:
        self.store, self.now, self.fallback = store, now, fallback

    @contextmanager
    def action(self, kind: Kind, action: str, *, host: str = "",
               details: Mapping[str, Any] | None = None, before: Any = None,
               scope: Scope | None = None) -> Iterator[After]:
        """Write the entry, run the code inside, write how it ended (done or failed).

        An entry that cannot be written raises (AuditError) before the code inside runs: a
        change that the trail cannot announce is not made.
        """
        who = scope or current_scope() or self.fallback
        entry_id = self.store.begin(who.entry(self.now(), kind, action, host=host,
                                              details=details, before=before))
        result = After()
        try:
            yield result
        except BaseException as e:
            self.store.end(entry_id, self.now(), Outcome.FAILED, error=_said(e))
            raise
        self.store.end(entry_id, self.now(), Outcome.DONE, after=result.value)

    def note(self, kind: Kind, action: str, *, host: str = "",
             details: Mapping[str, Any] | None = None, before: Any = None,
             after: Any = None, scope: Scope | None = None) -> None:
        """Write an entry that is done as it is written (a value recorded)."""
        with self.action(kind, action, host=host, details=details, before=before,
                         scope=scope) as result:
            result.value = after


def _said(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 2000 else text[:2000] + "..."
