"""The pydantic base shared by every inventory model."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

#: Error type of whole-model consistency checks; their ctx["at"] holds the offending
#: item's location relative to the model, so the loader can point at the exact line.
CROSS_CHECK_ERROR = "inventory_cross_check"


class InventoryModel(BaseModel):
    """Frozen, strict-keyed base model for every inventory object."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        # Racks, bays and serials are often written as bare numbers in YAML.
        coerce_numbers_to_str=True,
        # Inputs may be secrets; error messages say what is wrong without echoing them.
        hide_input_in_errors=True,
        validate_default=True,
    )


def cross_check_error(at: Sequence[str | int], reason: str) -> PydanticCustomError:
    """Build the error a model validator raises for an inconsistency at a relative path."""
    return PydanticCustomError(CROSS_CHECK_ERROR, "{reason}", {"reason": reason, "at": tuple(at)})
