"""Where the audit trail is kept: SQLite on one admin host, PostgreSQL for several.

Both through SQLAlchemy Core, so one schema and one code path serve both. The trail is
append-only from the tool's side: an entry is inserted before its action, its end is a
second row inserted after, and the database itself refuses UPDATE and DELETE on both
tables (triggers), so not even a bug of ours can rewrite history.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ceph_tasks.audit.entry import Entry, Kind, Outcome, Query, Record
from ceph_tasks.errors import AuditError, AuditUnavailable, ConfigurationError

_META = sa.MetaData()
ENTRIES = sa.Table(
    "audit_entries", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("cluster", sa.Text, nullable=False, index=True),
    sa.Column("host", sa.Text, nullable=False, index=True),
    sa.Column("reference", sa.Text, nullable=False, index=True),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
)
OUTCOMES = sa.Table(
    "audit_outcomes", _META,
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("audit_entries.id"), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
)

# The database refuses to change or drop what was written (ALTER and DROP stay with the
# database's owner, outside the tool).
_APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op} BEFORE {op.upper()} ON {t} "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        for t in ("audit_entries", "audit_outcomes") for op in ("update", "delete")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION cephmaint_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
        *(f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
          f"ON {t} FOR EACH STATEMENT EXECUTE FUNCTION cephmaint_audit_append_only()"
          for t in ("audit_entries", "audit_outcomes")),
    ],
}


class AuditStore(Protocol):
    """An append-only trail of entries and their ends."""

    def begin(self, entry: Entry) -> int:
        """Write an entry before its action; its number."""
        ...

    def end(self, entry_id: int, at: datetime, outcome: Outcome, *, after: Any = None,
            error: str = "") -> None:
        """Write how an entry's action ended (once)."""
        ...

    def records(self, query: Query) -> list[Record]:
        """The records that match, oldest first."""
        ...


class SqlAuditStore:
    """The trail in a SQL database named by a SQLAlchemy URL (sqlite:///..., postgresql://...)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SqlAuditStore:
        """The store at url; the SQLite file's folder is made if missing."""
        try:
            parsed = sa.engine.make_url(url)
        except ArgumentError as e:
            raise ConfigurationError(f"the audit trail's URL is not a database URL: {e}") from e
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise ConfigurationError("the audit trail needs a SQLite file, not memory: "
                                         "it must outlive this process")
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        elif parsed.get_backend_name() == "postgresql":
            # psycopg 3 whatever the URL says: the one PostgreSQL driver we install.
            engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg"),
                                      pool_pre_ping=True)
        else:
            raise ConfigurationError(f"the audit trail is kept in SQLite or PostgreSQL, not "
                                     f"{parsed.get_backend_name()!r}")
        return cls(engine)

    def _schema(self) -> None:
        with self._lock:
            if self._ready:
                return
            try:
                with self.engine.begin() as conn:
                    _META.create_all(conn)
                    for statement in _APPEND_ONLY[self.engine.dialect.name]:
                        conn.execute(sa.text(statement))
            except SQLAlchemyError as e:
                raise _failure("cannot set up the audit trail", e) from e
            self._ready = True

    def begin(self, entry: Entry) -> int:
        """Write an entry before its action; its number."""
        self._schema()
        row = {"at": entry.at.astimezone(UTC), "kind": str(entry.kind), "action": entry.action,
               "actor": entry.actor, "cluster": entry.cluster, "host": entry.host,
               "reference": entry.reference, "step": entry.step,
               "details": _dump(entry.details), "before": _dump(entry.before)}
        try:
            with self.engine.begin() as conn:
                key = conn.execute(ENTRIES.insert().values(**row)).inserted_primary_key
        except SQLAlchemyError as e:
            raise _failure(f"cannot write the audit entry for {entry.action!r}", e) from e
        if key is None:
            raise AuditError(f"the audit trail gave no number to the entry for {entry.action!r}")
        return int(key[0])

    def end(self, entry_id: int, at: datetime, outcome: Outcome, *, after: Any = None,
            error: str = "") -> None:
        """Write how an entry's action ended (once)."""
        self._schema()
        try:
            with self.engine.begin() as conn:
                conn.execute(OUTCOMES.insert().values(
                    entry_id=entry_id, at=at.astimezone(UTC), outcome=str(outcome),
                    after=_dump(after), error=error))
        except SQLAlchemyError as e:
            raise _failure(f"cannot write the end of audit entry {entry_id}", e) from e

    def records(self, query: Query) -> list[Record]:
        """The records that match, oldest first (the newest `limit` of them, if given)."""
        self._schema()
        joined = ENTRIES.outerjoin(OUTCOMES, OUTCOMES.c.entry_id == ENTRIES.c.id)
        select = sa.select(ENTRIES, OUTCOMES.c.at.label("ended"), OUTCOMES.c.outcome,
                           OUTCOMES.c.after, OUTCOMES.c.error).select_from(joined)
        for column, value in (("cluster", query.cluster), ("host", query.host),
                              ("reference", query.reference)):
            if value is not None:
                select = select.where(ENTRIES.c[column] == value)
        if query.since is not None:
            select = select.where(ENTRIES.c.at >= query.since.astimezone(UTC))
        if query.kinds:
            select = select.where(ENTRIES.c.kind.in_(sorted(str(k) for k in query.kinds)))
        select = select.order_by(ENTRIES.c.id.desc())
        if query.limit is not None:
            select = select.limit(query.limit)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(select).mappings().all()
        except SQLAlchemyError as e:
            raise _failure("cannot read the audit trail", e) from e
        return [_record(row) for row in reversed(rows)]

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL: the workers' processes and the command line write at once without blocking
    # readers; FULL: an entry is on disk before the change it announces is sent.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError) as e:
        raise AuditError(f"an audit value is not JSON: {e}") from e


def _utc(value: datetime) -> datetime:
    # SQLite gives back naive times; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record(row: Any) -> Record:
    entry = Entry(at=_utc(row["at"]), kind=Kind(row["kind"]), action=row["action"],
                  actor=row["actor"], cluster=row["cluster"], host=row["host"],
                  reference=row["reference"], step=row["step"],
                  details=json.loads(row["details"]), before=json.loads(row["before"]))
    if row["outcome"] is None:
        return Record(id=row["id"], entry=entry)
    return Record(id=row["id"], entry=entry, outcome=Outcome(row["outcome"]),
                  ended=_utc(row["ended"]), after=json.loads(row["after"]),
                  error=row["error"])


def _failure(message: str, error: SQLAlchemyError) -> AuditError:
    # A database that cannot be reached is worth telling apart: try again later.
    unreachable = isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)
    return (AuditUnavailable if unreachable else AuditError)(f"{message}: {error}")
