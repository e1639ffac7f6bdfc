"""The fleet page (GET /): each cluster's health, then every maintenance of every cluster,
as `cephmaint list` shows them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from celery import Celery
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ceph_tasks.errors import CephTaskError
from cephmaint.exit_codes import one_line
from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.context import FleetSource, Principal, render, web_of
from cephmaint.web.health import Reading, health_lines
from dyrygent.errors import DyrygentError
from inventory.errors import InventoryError
from workflows.errors import WorkflowsError
from workflows.listing import Row, select
from workflows.maintenances import read_rows


def fleet_source(app: Celery, clusters: Callable[[], Sequence[str]]) -> FleetSource:
    """The fleet page's rows in production: each cluster's maintenances (the clusters of
    the inventory now) from the state store, through the Celery app that runs them."""
    def rows() -> list[Row]:
        return [row for cluster in clusters() for row in read_rows(app, cluster)]
    return rows


@require(Role.VIEWER)
async def fleet_page(request: Request, who: Principal) -> Response:
    """GET /: each cluster's health, then the maintenances, oldest first, queued ones last."""
    web = web_of(request)
    readings: Mapping[str, Reading | None] = {}
    health_problem = ""
    try:
        # Cached: only a cluster never read yet is waited for, and briefly.
        readings = await run_in_threadpool(web.health)
    except InventoryError as e:
        health_problem = f"Cannot read the inventory's clusters: {one_line(e)}"
    try:
        rows = select(await run_in_threadpool(web.fleet))
    except (CephTaskError, WorkflowsError, DyrygentError) as e:
        # The page still renders, with its header and logout, saying what is missing.
        return render(request, "fleet.html", who=who, rows=[], status=503,
                      health=health_lines(readings, None), health_problem=health_problem,
                      problem=f"Cannot read the maintenances: {e}")
    return render(request, "fleet.html", who=who, rows=rows, problem="",
                  health=health_lines(readings, rows), health_problem=health_problem)
