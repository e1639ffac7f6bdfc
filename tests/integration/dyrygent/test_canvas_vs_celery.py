"""Generated nested canvases give the same results through dyrygent as through Celery."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dyrygent.workflows import Workflow
from tests.integration.dyrygent.conftest import Cluster
from tests.support.dyrygent_canvases import build, reference, shapes

pytestmark = pytest.mark.integration


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shape=shapes)
def test_dyrygent_results_equal_celery_results(shared: Cluster, shape: Any) -> None:
    c = shared
    # A chord whose tasks do not name it uses the current app (Celery 5.6): this one.
    c.app.set_current()
    task = c.app.tasks["dytest.t"]
    canvas = build(shape, task)
    celery_result = build(shape, task).apply_async().get(timeout=60)
    wf = Workflow()
    wf.add_celery_canvas(canvas)
    dyrygent_result = wf.apply_async().wait(timeout=60)
    # Results nest the inputs of every task, so equal results mean equal data flow
    # and equal ordering of group and chord-header results.
    assert dyrygent_result == celery_result
    assert celery_result == reference(canvas)
    execs = c.execs()
    assert all(execs[f"dy-{wf.id}-{i}"] == 1 for i in range(len(wf.nodes)))
