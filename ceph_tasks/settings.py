"""The one settings object of a cephmaint process: broker, state store, inventory, sandbox.

It is read once, at the edge (the command line, a worker's start, the Python entry point),
with `Settings.from_env()`, and passed in from there; nothing below the edge reads the
environment. Every variable is CEPHMAINT_ and a field's name in capitals (README, Settings).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ceph_tasks.errors import ConfigurationError
from inventory import Inventory, load_inventory

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
DEFAULT_RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_SANDBOX_HOME = Path("/tmp/cephmaint-sandbox")
#: Where chroots of other Ceph releases are kept once built (FHS: a cache to rebuild).
DEFAULT_SANDBOX_CACHE = Path("/var/cache/cephmaint")
#: This admin host's own files (the SQLite audit trail): XDG's state folder.
DEFAULT_STATE_HOME = Path("~/.local/state/cephmaint")
ENV_PREFIX = "CEPHMAINT_"


class Settings(BaseSettings):
    """The settings every cephmaint process (worker, CLI, runbook script) shares."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix=ENV_PREFIX,
                                      populate_by_name=True)

    #: Celery's broker: Redis or RabbitMQ.
    broker_url: str = DEFAULT_REDIS
    #: Results of tasks, the ledger and the workflow engine's state; empty: the broker's
    #: Redis, or the default Redis when the broker is RabbitMQ. A Sentinel group too:
    #: sentinel://host:port/db;sentinel://host:port/db;...?master_name=NAME.
    redis_url: str = ""
    #: Replicas that must hold each workflow transition before it counts (Redis WAIT);
    #: 0 when the state Redis has none.
    state_replicas: int = Field(default=0, ge=0)
    #: The inventory file or folder (CEPHMAINT_INVENTORY).
    inventory_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("inventory_path", f"{ENV_PREFIX}INVENTORY"))
    #: Where local sandboxes live.
    sandbox_home: Path = DEFAULT_SANDBOX_HOME
    #: Where the chroots of Ceph releases the host does not have are built once and kept.
    sandbox_cache: Path = DEFAULT_SANDBOX_CACHE
    #: A RabbitMQ the sandbox reports and the tests use.
    rabbitmq_url: str = DEFAULT_RABBITMQ
    #: Seconds a maintenance's lease on its cluster lives unless its guardian renews it.
    lease_seconds: float = Field(default=300.0, gt=0, allow_inf_nan=False)
    #: Seconds a running step's lease lives unless its worker renews it: a step whose
    #: worker died runs again (a new attempt) this long after, not when the broker would
    #: hand its message back (an hour with Redis's default visibility timeout).
    step_lease_seconds: float = Field(default=120.0, gt=0, allow_inf_nan=False)
    #: Seconds a workflow's tick or a guardian's look may be overdue before another worker
    #: runs it (its message held by a worker that died).
    rescue_after_seconds: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    #: This admin host's own files; the SQLite audit trail is kept here unless AUDIT_URL
    #: says otherwise.
    state_home: Path = DEFAULT_STATE_HOME
    #: Where the audit trail is kept: sqlite:///PATH, or postgresql://USER@HOST/DB for teams
    #: with several admin hosts (one trail for all); empty: STATE_HOME/audit.sqlite.
    audit_url: str = Field(default="", repr=False)
    #: Days a finished workflow's state stays in Redis (for `status` and `list`); its
    #: history stays in the audit trail after that.
    keep_finished_days: float = Field(default=7.0, gt=0, allow_inf_nan=False)
    #: The users of `cephmaint serve` and their roles (a YAML file, CEPHMAINT_USERS).
    users_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("users_path", f"{ENV_PREFIX}USERS"))
    #: The bearer token Prometheus sends to /metrics; empty: /metrics is not served.
    metrics_token: str = Field(default="", repr=False)
    #: The port a worker serves its own metrics on (0: none); one worker per port.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    #: The address a worker serves its metrics on.
    metrics_address: str = "127.0.0.1"
    #: Seconds between the looks of `cephmaint watch` that a worker started with --beat
    #: schedules (0: none); one beat for the whole fleet.
    watch_seconds: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    #: The Host header values `cephmaint serve` answers to (comma-separated).
    allowed_hosts: str = "127.0.0.1,localhost"
    #: Seconds a login lasts without being used.
    session_seconds: float = Field(default=8 * 3600.0, gt=0, allow_inf_nan=False)
    #: The address operators and technicians reach `cephmaint serve` at (links in messages).
    public_url: str = ""
    #: The environment the inventory's ${VAR}s are resolved in (secrets), read at the edge.
    environ: Mapping[str, str] = Field(default_factory=dict, repr=False, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Made with arguments, the settings are those alone: only from_env() reads more."""
        return (init_settings,)

    @model_validator(mode="after")
    def _state_store(self) -> Settings:
        if not self.redis_url:
            redis = self.broker_url.startswith(("redis://", "rediss://", "sentinel://"))
            object.__setattr__(self, "redis_url", self.broker_url if redis else DEFAULT_REDIS)
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read CEPHMAINT_* variables, then apply the options given (None: not given).

        The edge's one read of the environment; a bad value is a ConfigurationError naming
        the variable.
        """
        found = EnvSettingsSource(cls)()
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls(**{**found, **given}, environ=dict(os.environ))
        except ValidationError as e:
            first = e.errors()[0]
            name = str(first["loc"][0]).upper().removeprefix(ENV_PREFIX)
            raise ConfigurationError(f"setting {ENV_PREFIX}{name}: {first['msg']}") from e

    @property
    def audit_location(self) -> str:
        """The audit trail's SQLAlchemy URL: AUDIT_URL, or the SQLite file under STATE_HOME."""
        if self.audit_url:
            return self.audit_url
        return f"sqlite:///{self.state_home.expanduser() / 'audit.sqlite'}"

    def inventory(self) -> Inventory:
        """Load the inventory the settings name, ${VAR}s resolved in their environment."""
        if self.inventory_path is None:
            raise ConfigurationError(
                "no inventory: set CEPHMAINT_INVENTORY or pass --inventory")
        return load_inventory(self.inventory_path, env=self.environ)
