"""What the audit trail holds: one entry per action or change, and how it ended.

The pure core of the trail: the records and the rules of what counts as a change; the
stores (ceph_tasks.audit.store) and the adapters that write them (ceph_tasks.audit.adapters)
are around it.
"""

from __future__ import annotations

import enum
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class Kind(enum.StrEnum):
    """What an entry is about."""

    #: A person's action: start, pause, resume, cancel, retry, skip, confirm, window override.
    OPERATOR = "operator"
    #: A state-changing command sent to a cluster's monitors or manager.
    CEPH = "ceph"
    #: A command run on a host over SSH.
    SSH = "ssh"
    #: A monitoring downtime or silence set or removed.
    DOWNTIME = "downtime"
    #: A message to technicians (chat, e-mail, ticket) or a ticket comment.
    NOTIFY = "notify"
    #: A value recorded before a change, that the restore path puts back.
    RECORD = "record"


class Outcome(enum.StrEnum):
    """How an entry ended."""

    #: Written before the action; no end recorded (still running, or its process died).
    BEGUN = "begun"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Entry:
    """One action or change, written before it happens."""

    at: datetime
    kind: Kind
    action: str
    actor: str
    cluster: str = ""
    host: str = ""
    reference: str = ""
    step: str = ""
    #: The command's arguments, the request, the message: what was asked, as JSON.
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The value before the change, where it is known.
    before: Any = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("an audit entry's time must be timezone-aware")
        if not self.action.strip():
            raise ValueError("an audit entry needs an action")
        if not self.actor.strip():
            raise ValueError("an audit entry needs an actor")


@dataclass(frozen=True)
class Record:
    """A stored entry with its number and, once it ended, its end."""

    id: int
    entry: Entry
    outcome: Outcome = Outcome.BEGUN
    ended: datetime | None = None
    #: The value after the change, or what the action answered.
    after: Any = None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """The record as `cephmaint audit --json` prints it."""
        e = self.entry
        return {"id": self.id, "at": e.at.isoformat(), "kind": str(e.kind), "action": e.action,
                "actor": e.actor, "cluster": e.cluster, "host": e.host,
                "reference": e.reference, "step": e.step, "details": dict(e.details),
                "before": e.before, "outcome": str(self.outcome),
                "ended": self.ended.isoformat() if self.ended else None,
                "after": self.after, "error": self.error}


@dataclass(frozen=True)
class Query:
    """Which records to read: every given field must match."""

    cluster: str | None = None
    host: str | None = None
    reference: str | None = None
    since: datetime | None = None
    kinds: frozenset[Kind] = frozenset()
    limit: int | None = None


@dataclass(frozen=True)
class Scope:
    """Who acts and for which maintenance step: what every entry written inside it carries."""

    actor: str
    cluster: str = ""
    host: str = ""
    reference: str = ""
    step: str = ""

    def entry(self, at: datetime, kind: Kind, action: str, *, host: str = "",
              details: Mapping[str, Any] | None = None, before: Any = None) -> Entry:
        """An entry of this scope (host: the one acted on, if not the scope's)."""
        return Entry(at=at, kind=kind, action=action, actor=self.actor, cluster=self.cluster,
                     host=host or self.host, reference=self.reference, step=self.step,
                     details=dict(details or {}), before=before)

    def on(self, **changes: str) -> Scope:
        """The same scope with some fields replaced."""
        return replace(self, **changes)


# Monitor and manager commands that only read: everything else is audited as a change.
# The list errs towards auditing: an unknown prefix counts as a change.
_READ_WORDS = frozenset({
    "dump", "get", "getmap", "health", "ls", "ls-by-pool", "ls-by-osd", "ls-by-primary",
    "metadata", "ok-to-rm", "ok-to-stop", "perf", "query", "safe-to-destroy", "stat",
    "status", "tree", "versions", "df", "find", "exists", "list", "last", "show", "count-metadata",
})
# `osd pool get`, `config get` and friends end in a read word; these do not, yet only read.
_READ_PREFIXES = frozenset({"osd pool autoscale-status", "pg dump_stuck", "osd blocked-by",
                            "mon_status", "quorum_status", "report", "df detail"})


def changes_state(prefix: str) -> bool:
    """Whether a monitor or manager command changes the cluster (and so is audited)."""
    words = prefix.split()
    if not words:
        return True
    if prefix in _READ_PREFIXES:
        return False
    return words[-1] not in _READ_WORDS


def describe(record: Record) -> str:
    """What an entry did, in one line for a person: the command, the message, the value."""
    e, d = record.entry, record.entry.details
    if e.kind == Kind.CEPH:
        args = d.get("args", {})
        said = " ".join(f"{k}={_short(v)}" for k, v in sorted(args.items()))
        text = f"{e.action} {said}".strip()
    elif e.kind == Kind.SSH:
        text = shlex.join(str(a) for a in d.get("argv", []))
    elif e.kind == Kind.DOWNTIME:
        text = f"{e.action} ({d.get('backend', '?')})" + (
            f" until {d['end']}" if "end" in d else "")
    elif e.kind == Kind.NOTIFY:
        text = f"{e.action}: {d.get('subject') or d.get('text', '')}".splitlines()[0]
    elif e.kind == Kind.RECORD:
        text = f"{e.action} = {_short(e.before)}"
    else:
        extra = " ".join(f"{k}={_short(v)}" for k, v in sorted(d.items())
                         if k != "why" and v not in (None, "", [], {}))
        text = " ".join(p for p in (e.action, extra, f"(why: {d['why']})" if d.get("why")
                                    else "") if p)
    if record.outcome == Outcome.FAILED:
        text += f" -> failed: {record.error}"
    return text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
