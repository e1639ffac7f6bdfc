"""Fixtures shared by every test level."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ceph_tasks.settings import Settings
from tests.support.services import private_redis, rabbitmq_url


def pytest_addoption(parser: pytest.Parser) -> None:
    """--full: also run the heavy matrices (every workflow on every topology)."""
    parser.addoption("--full", action="store_true", default=False,
                     help="run the tests marked full too (scripts/test.sh --full)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked full run only with --full."""
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="a heavy matrix case: run with --full")
    for item in items:
        if item.get_closest_marker("full") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This test session's own state folder (its audit trail), for every process it starts.

    Settings made in the tests take it as their default; workers and commands started as
    processes find it in their environment. Nothing is written under the user's home.
    """
    home = Path(tmp_path_factory.mktemp("state"))
    field = Settings.model_fields["state_home"]
    saved, field.default = field.default, home
    Settings.model_rebuild(force=True)
    os.environ["CEPHMAINT_STATE_HOME"] = str(home)
    yield home
    field.default = saved
    Settings.model_rebuild(force=True)
    os.environ.pop("CEPHMAINT_STATE_HOME", None)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private, empty redis-server for the whole test session."""
    with private_redis(Path(tmp_path_factory.mktemp("redis"))) as url:
        yield url


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The machine's RabbitMQ; skipped where there is none, but required in CI."""
    url = rabbitmq_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have RabbitMQ on 127.0.0.1:5672 (the machine kind starts it)")
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    return url
