"""The exception tree of the inventory package; every error derives from InventoryError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class InventoryError(Exception):
    """Root of every error raised by the inventory package."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an inventory source: where it is and what is wrong."""

    file: str
    key_path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.key_path:
            return f"{where}: {self.key_path}: {self.message}"
        return f"{where}: {self.message}"


class InventoryLoadError(InventoryError):
    """An inventory source could not be read, parsed or validated."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = "\n".join(
                [f"{len(self.problems)} problems in the inventory:"]
                + [f"  {problem}" for problem in self.problems]
            )
        super().__init__(text)


class InventorySyntaxError(InventoryLoadError):
    """The source is not acceptable YAML (syntax, tags, duplicate keys, empty file)."""


class InventoryValidationError(InventoryLoadError):
    """The YAML is well formed but does not describe a valid inventory."""


class UnsetVariableError(InventoryLoadError):
    """A `${NAME}` reference names an environment variable that is not set."""

    def __init__(self, variable: str, problem: Problem) -> None:
        self.variable = variable
        super().__init__([problem])


class DuplicateDefinitionError(InventoryLoadError):
    """The same cluster is defined in two files of an inventory folder."""


class InventoryWriteError(InventoryError):
    """An inventory cannot be serialised as asked (e.g. it holds secrets)."""


class CommandTemplateError(InventoryError):
    """A command template cannot be rendered with the values given."""


class UnknownNameError(InventoryError, LookupError):
    """A lookup by name or id found nothing."""


class UnknownClusterError(UnknownNameError):
    """No cluster of that name is in the inventory."""


class UnknownHostError(UnknownNameError):
    """No host of that name is in the cluster."""


class UnknownOsdError(UnknownNameError):
    """No OSD of that id is in the cluster."""


class UnknownDeviceError(UnknownNameError):
    """No device of that path is on the host."""
