"""Check a command against the cluster's own command signatures before sending it (pure).

The `ceph` CLI validates every command against the signatures the monitor publishes
(`get_command_descriptions`); librados sends whatever it is given. A Pacific monitor that
receives `osd crush reweight` without its `weight` aborts (std::out_of_range in
OSDMonitor::prepare_command_impl) and takes the cluster's only monitor down with it. So the
librados client checks commands here first, the way the CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import CephBadOutput, CephInvalidCommand

#: Arguments every command accepts besides its signature.
_UNIVERSAL_ARGS = frozenset({"prefix", "format"})
#: The MGR bit of a command description's flags: the manager, not the monitor, runs it.
FLAG_MGR = 8
#: Argument types whose JSON value is a string.
_STRING_TYPES = frozenset({
    "CephString", "CephPoolname", "CephPgid", "CephName", "CephObjectname", "CephUUID",
    "CephIPAddr", "CephEntityAddr", "CephFilepath", "CephFragment", "CephSocketpath",
})


@dataclass(frozen=True)
class ArgSpec:
    """One named argument of a command signature."""

    name: str
    type: str
    required: bool
    many: bool
    choices: tuple[str, ...] = ()

    def problem(self, value: Any) -> str | None:
        """What is wrong with value for this argument, or None."""
        if self.many:
            if not isinstance(value, list | tuple):
                return f"{self.name} takes a list, got {value!r}"
            if self.required and not value:
                return f"{self.name} needs at least one value"
            return next((p for v in value if (p := self._scalar_problem(v))), None)
        if isinstance(value, list | tuple):
            return f"{self.name} takes one value, got a list"
        return self._scalar_problem(value)

    def _scalar_problem(self, value: Any) -> str | None:
        if self.type == "CephBool":
            ok = isinstance(value, bool)
        elif self.type == "CephInt":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.type == "CephFloat":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif self.type == "CephOsdName":
            ok = isinstance(value, str | int) and not isinstance(value, bool)
        elif self.type == "CephChoices":
            ok = isinstance(value, str) and (not self.choices or value in self.choices)
        elif self.type in _STRING_TYPES:
            ok = isinstance(value, str)
        else:
            ok = True  # a type this code does not know: let the cluster judge
        if ok:
            return None
        wanted = "|".join(self.choices) if self.choices else self.type
        return f"{self.name} must be {wanted}, got {value!r}"


@dataclass(frozen=True)
class Signature:
    """A command's prefix words and arguments, as the cluster describes it."""

    prefix: str
    args: tuple[ArgSpec, ...]
    mgr: bool

    def problems(self, command: CephCommand) -> list[str]:
        """What is wrong with command for this signature; empty when it fits."""
        specs = {spec.name: spec for spec in self.args}
        found = [f"unknown argument {name}" for name in command.args
                 if name not in specs and name not in _UNIVERSAL_ARGS]
        for spec in self.args:
            if spec.name not in command.args:
                if spec.required:
                    found.append(f"missing required argument {spec.name} ({spec.type})")
                continue
            problem = spec.problem(command.args[spec.name])
            if problem:
                found.append(problem)
        return found


class CommandSignatures:
    """Every command signature of a cluster, by prefix."""

    def __init__(self, signatures: Sequence[Signature]) -> None:
        self._by_prefix: dict[str, list[Signature]] = {}
        for signature in signatures:
            self._by_prefix.setdefault(signature.prefix, []).append(signature)

    @classmethod
    def from_descriptions(cls, descriptions: Any) -> CommandSignatures:
        """Read the JSON answer of `get_command_descriptions`."""
        if not isinstance(descriptions, Mapping):
            raise CephBadOutput("get_command_descriptions", 0, "expected a JSON object")
        return cls([_signature(entry) for entry in descriptions.values()])

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._by_prefix

    def check(self, command: CephCommand) -> Signature:
        """The signature command fits; CephInvalidCommand naming what is wrong otherwise."""
        candidates = self._by_prefix.get(command.prefix)
        if not candidates:
            raise CephInvalidCommand(command.describe(), 22, "command not known to the cluster")
        problems: list[str] = []
        for signature in candidates:
            found = signature.problems(command)
            if not found:
                return signature
            problems += found
        raise CephInvalidCommand(command.describe(), 22, "; ".join(problems))


def _signature(entry: Any) -> Signature:
    words: list[str] = []
    args: list[ArgSpec] = []
    try:
        for part in entry["sig"]:
            if isinstance(part, str):
                words.append(part)
            elif part.get("type") == "CephPrefix":
                words.append(str(part["prefix"]))
            else:
                args.append(ArgSpec(
                    name=str(part["name"]),
                    type=str(part["type"]),
                    # Descriptions spell booleans as the strings "true" / "false".
                    required=str(part.get("req", "true")).lower() != "false",
                    many=str(part.get("n", "1")) == "N",
                    choices=tuple(str(part["strings"]).split("|")) if "strings" in part else (),
                ))
        flags = int(entry.get("flags", 0))
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise CephBadOutput(
            "get_command_descriptions", 0, f"unexpected command description {entry!r}"
        ) from e
    return Signature(" ".join(words), tuple(args), bool(flags & FLAG_MGR))
