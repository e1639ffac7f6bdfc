"""One settings object: explicit when made with arguments, read from CEPHMAINT_* at an edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceph_tasks.errors import ConfigurationError
from ceph_tasks.settings import DEFAULT_REDIS, Settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("CEPHMAINT_BROKER_URL", "amqp://rabbit:5672//")
    monkeypatch.setenv("CEPHMAINT_INVENTORY", "/etc/cephmaint/inventory")
    monkeypatch.setenv("CEPHMAINT_SANDBOX_HOME", "/srv/sandboxes")
    monkeypatch.setenv("ICINGA_PASSWORD", "s3cret")
    return monkeypatch


def test_settings_made_with_arguments_never_read_the_environment(
        env: pytest.MonkeyPatch) -> None:
    made = Settings(redis_url="redis://state:6379/1")
    assert made.broker_url == DEFAULT_REDIS and made.inventory_path is None
    assert made.sandbox_home == Path("/tmp/cephmaint-sandbox") and made.environ == {}


def test_from_env_reads_every_variable_and_options_win(env: pytest.MonkeyPatch) -> None:
    read = Settings.from_env(broker_url=None, redis_url="redis://state:6379/1")
    assert read.broker_url == "amqp://rabbit:5672//"
    assert read.redis_url == "redis://state:6379/1"
    assert read.inventory_path == Path("/etc/cephmaint/inventory")
    assert read.sandbox_home == Path("/srv/sandboxes")
    assert read.environ["ICINGA_PASSWORD"] == "s3cret"
    assert "s3cret" not in repr(read)


def test_the_state_store_defaults_to_a_redis_broker_else_to_the_local_redis() -> None:
    assert Settings(broker_url="redis://b:6379/2").redis_url == "redis://b:6379/2"
    assert Settings(broker_url="amqp://rabbit//").redis_url == DEFAULT_REDIS


def test_a_bad_value_names_the_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv("CEPHMAINT_BOGUS", "ignored")
    with pytest.raises(ConfigurationError, match="CEPHMAINT_REDIS_URL"):
        Settings.from_env(redis_url=["not", "a", "url"])


def test_no_inventory_is_said_plainly() -> None:
    with pytest.raises(ConfigurationError, match="set CEPHMAINT_INVENTORY or pass --inventory"):
        Settings().inventory()
