"""A maintenance with RabbitMQ as the broker and Redis for the state, end to end.

Its steps wait between looks by retrying with a countdown: RabbitMQ holds such a message
unacknowledged in the worker meanwhile, well under its consumer_timeout (30 minutes by
default), after which it would close the channel.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dyrygent.states import WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.workflows import wait_finished
from workflows.move_once import Strategy

pytestmark = [pytest.mark.integration, pytest.mark.full]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, amqp_url: str) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("rabbit"), broker_url=amqp_url) as made:
        yield made


@pytest.mark.timeout(600)
def test_a_decommission_runs_to_its_end_with_rabbitmq_as_the_broker(bench: WorkflowBench) -> None:
    assert bench.settings.broker_url.startswith("amqp://")
    objects = bench.sandbox.verify()
    plan = bench.plan("decommission", "node2", timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    handle = bench.submit(plan)
    assert wait_finished(handle, 480) == WorkflowState.SUCCESS, handle.status().to_dict()
    bench.wait_settled(plan.reference, ["node2"], after="the decommission")
    assert "node2" not in bench.tree().hosts()
    assert bench.sandbox.verify() == objects
    shown = bench.cli("status", plan.reference)
    assert shown.returncode == 0 and "SUCCESS" in shown.stdout, shown.stderr
    bench.refresh_inventory()
