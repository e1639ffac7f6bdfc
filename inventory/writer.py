"""Serialise an Inventory to YAML text that the loader reads back to an equal Inventory."""

from __future__ import annotations

from datetime import time
from enum import Enum
from pathlib import PurePath
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr

from inventory.errors import InventoryWriteError
from inventory.models import Inventory
from inventory.settings import Weekday
from inventory.yamltree import escape_references, format_path


def dump_inventory(inventory: Inventory, *, reveal_secrets: bool = False) -> str:
    """YAML text of the inventory; secrets are written only when reveal_secrets is true."""
    data = _plain(inventory, (), reveal_secrets)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _plain(value: Any, path: tuple[str | int, ...], reveal: bool) -> Any:
    if isinstance(value, BaseModel):
        # Unset optional parts are left out: the loader's defaults give them back.
        return {
            name: _plain(item, (*path, name), reveal)
            for name in type(value).model_fields
            if (item := getattr(value, name)) is not None
        }
    if isinstance(value, SecretStr):
        if not reveal:
            raise InventoryWriteError(
                f"{format_path(path)} is a secret; pass reveal_secrets=True to write it "
                "in clear text, or keep the inventory file with ${ENV} references by hand"
            )
        return escape_references(value.get_secret_value())
    if isinstance(value, frozenset):
        # Weekdays in calendar order, so files stay stable and readable.
        return [day.value for day in Weekday if day in value]
    if isinstance(value, dict):
        return {escape_references(str(key)): _plain(item, (*path, str(key)), reveal)
                for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item, (*path, index), reveal) for index, item in enumerate(value)]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, time):
        # "22:00" rather than "22:00:00", unless the time has seconds.
        whole_minute = not value.second and not value.microsecond
        return value.isoformat(timespec="minutes" if whole_minute else "auto")
    if isinstance(value, PurePath):
        return escape_references(str(value))
    if isinstance(value, str):
        return escape_references(value)
    return value
