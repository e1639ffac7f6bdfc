"""The monitors' config database (`config dump`) and a daemon's running value (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from ceph_tasks.ceph.models.common import CephModel, parse_list
from ceph_tasks.errors import CephBadOutput


class ConfigEntry(CephModel):
    """One option set in the config database, for a section (global, osd, osd.3), maybe
    under a mask (a CRUSH location, a device class)."""

    section: str
    name: str
    value: str
    #: The CRUSH location of the mask ("host", "rack"...) and its bucket; "" when none.
    location_type: str = ""
    location_value: str = ""
    #: The device class of the mask; "" when none.
    device_class: str = ""

    @model_validator(mode="before")
    @classmethod
    def _text(cls, data: Any) -> Any:
        # Values are text in every release; keep them so even if one prints a number.
        if isinstance(data, dict) and not isinstance(data.get("value", ""), str):
            return {**data, "value": str(data["value"])}
        return data

    @property
    def masked(self) -> bool:
        """Whether the entry applies only to daemons at a location or of a device class."""
        return bool(self.location_type or self.device_class)


def parse_config_dump(data: Any) -> tuple[ConfigEntry, ...]:
    """`config dump` (a list of entries) as ConfigEntry values."""
    return parse_list(ConfigEntry, data, "config dump")


def running_value(answer: Any, who: str, key: str) -> str:
    """The value `config show WHO KEY` printed: bare text, whatever the format asked."""
    if isinstance(answer, bool):
        return "true" if answer else "false"
    if isinstance(answer, str | int | float) and str(answer).strip():
        return str(answer).strip()
    raise CephBadOutput(f"config show {who} {key}", 0, f"no value in {answer!r:.200}")
