"""The fleet page (GET /): every maintenance of every cluster, as `cephmaint list` shows it."""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ceph_tasks.errors import CephTaskError
from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.context import FleetSource, Principal, render, web_of
from dyrygent.errors import DyrygentError
from workflows.errors import WorkflowsError
from workflows.listing import Row, select
from workflows.maintenances import read_rows


def fleet_source(app: Celery, clusters: Sequence[str]) -> FleetSource:
    """The fleet page's rows in production: each cluster's maintenances from the state
    store, through the Celery app that runs them."""
    def rows() -> list[Row]:
        return [row for cluster in clusters for row in read_rows(app, cluster)]
    return rows


@require(Role.VIEWER)
async def fleet_page(request: Request, who: Principal) -> Response:
    """GET /: the table of maintenances, oldest first, queued ones last."""
    try:
        rows = select(await run_in_threadpool(web_of(request).fleet))
    except (CephTaskError, WorkflowsError, DyrygentError) as e:
        # The page still renders, with its header and logout, saying what is missing.
        return render(request, "fleet.html", who=who, rows=[], status=503,
                      problem=f"Cannot read the maintenances: {e}")
    return render(request, "fleet.html", who=who, rows=rows, problem="")
