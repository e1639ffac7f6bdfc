"""The base of every parsed Ceph answer: frozen, tolerant of keys it does not read."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ceph_tasks.errors import CephBadOutput

M = TypeVar("M", bound=BaseModel)


class CephModel(BaseModel):
    """A parsed piece of Ceph output; extra keys are ignored, as Ceph adds them freely."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse_as(model: type[M], data: Any, command: str) -> M:
    """Validate data as model; CephBadOutput naming the command when it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise CephBadOutput(command, 0, f"unexpected {model.__name__} output: {e}") from e


def parse_list(model: type[M], data: Any, command: str) -> tuple[M, ...]:
    """Validate data as a list of model; CephBadOutput naming the command otherwise."""
    try:
        return tuple(TypeAdapter(list[model]).validate_python(data))  # type: ignore[valid-type]
    except ValidationError as e:
        raise CephBadOutput(command, 0, f"unexpected list of {model.__name__}: {e}") from e


def pg_stats(data: Any) -> list[dict[str, Any]] | None:
    """The PG entries of a `pg dump pgs` answer; None when it has another shape.

    Pacific prints {"pg_ready": ..., "pg_stats": [...]}; older releases a bare list.
    """
    stats = data.get("pg_stats", []) if isinstance(data, dict) else data
    if not isinstance(stats, list):
        return None
    return [pg for pg in stats if isinstance(pg, dict) and "pgid" in pg]
