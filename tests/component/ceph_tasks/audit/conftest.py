"""The audit trail's stores, each on a real database: a SQLite file and a PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ceph_tasks.audit import SqlAuditStore
from tests.support.postgres import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty trail: a SQLite file, or a new database on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'audit.sqlite'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def store(audit_url: str) -> Iterator[SqlAuditStore]:
    """A store on that trail."""
    opened = SqlAuditStore.from_url(audit_url)
    yield opened
    opened.close()
