"""Where workers find their broker, state store and inventory: read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Settings:
    """The settings every cephmaint process (worker, CLI, runbook script) shares."""

    broker_url: str = DEFAULT_REDIS
    #: Results of tasks, and the state store of the ledger (and of the workflow engine).
    redis_url: str = DEFAULT_REDIS
    inventory_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from CEPHMAINT_* variables; the state store defaults to a Redis broker."""
        broker = env.get("CEPHMAINT_BROKER_URL", DEFAULT_REDIS)
        default_state = broker if broker.startswith(("redis://", "rediss://")) else DEFAULT_REDIS
        inventory = env.get("CEPHMAINT_INVENTORY")
        return cls(
            broker_url=broker,
            redis_url=env.get("CEPHMAINT_REDIS_URL", default_state),
            inventory_path=Path(inventory) if inventory else None,
        )
