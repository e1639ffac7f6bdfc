"""Read inventories from YAML files or folders (the package's only file I/O)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from inventory.base import CROSS_CHECK_ERROR
from inventory.errors import (
    DuplicateDefinitionError,
    InventoryLoadError,
    InventoryValidationError,
    Problem,
)
from inventory.models import Inventory
from inventory.writer import dump_inventory
from inventory.yamltree import (
    KeyPath,
    YamlDocument,
    escape_references,
    format_path,
    parse_yaml,
)

_ENUM_REPR = re.compile(r"<\w+\.\w+: '([^']*)'>")
# Pydantic speaks of Python types; the file's author thinks in YAML.
_PLAIN_WORDS = (
    (re.compile(r"a valid (tuple|list|frozenset|set)\b"), "a list"),
    (re.compile(r"a valid dictionary( or instance of \w+)?"), "a mapping"),
)
_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=BaseModel)


def parse_inventory(
    text: str, *, source: str = "<string>", env: Mapping[str, str] | None = None
) -> Inventory:
    """Parse and validate one YAML document; env resolves its ${VAR}s (none by default)."""
    document = parse_yaml(text, source=source, env={} if env is None else env)
    return _validate(document, Inventory)


def load_inventory(
    path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None
) -> Inventory:
    """Load an inventory from a YAML file, or merge every *.yaml/*.yml file of a folder.

    env resolves the files' ${VAR}s; the caller passes the environment it read at its
    edge (Settings.environ), so nothing here reads the process environment.
    """
    location = Path(path)
    if location.is_dir():
        files = sorted(
            p
            for p in location.iterdir()
            if p.suffix in _SUFFIXES and p.is_file() and not p.name.startswith(".")
        )
        if not files:
            raise InventoryLoadError(
                [Problem(str(location), "", None, "the folder holds no *.yaml or *.yml file")]
            )
    else:
        files = [location]
    loaded: list[tuple[Inventory, YamlDocument]] = []
    failures: list[InventoryLoadError] = []
    for file in files:
        # Keep going after a bad file so one run shows every broken file of a folder.
        try:
            loaded.append(_load_file(file, {} if env is None else env))
        except InventoryLoadError as error:
            failures.append(error)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise InventoryLoadError([p for failure in failures for p in failure.problems])
    return _merge(loaded)


def write_inventory(
    inventory: Inventory, path: str | os.PathLike[str], *, reveal_secrets: bool = False
) -> None:
    """Write an inventory to one YAML file that load_inventory reads back identically."""
    Path(path).write_text(dump_inventory(inventory, reveal_secrets=reveal_secrets), "utf-8")


def _load_file(file: Path, env: Mapping[str, str]) -> tuple[Inventory, YamlDocument]:
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InventoryLoadError([Problem(str(file), "", None, f"cannot read: {error}")]) from None
    document = parse_yaml(text, source=str(file), env=env)
    return _validate(document, Inventory), document


def _merge(loaded: list[tuple[Inventory, YamlDocument]]) -> Inventory:
    if len(loaded) == 1:
        return loaded[0][0]
    seen: dict[str, tuple[YamlDocument, int]] = {}
    for inventory, document in loaded:
        for index, cluster in enumerate(inventory.clusters):
            path: KeyPath = ("clusters", index, "name")
            if cluster.name in seen:
                first, first_index = seen[cluster.name]
                first_path = format_path(("clusters", first_index, "name"))
                first_line = first.line_of(("clusters", first_index, "name"))
                message = (
                    f"cluster {cluster.name} is defined in both {first.source} "
                    f"(line {first_line}, {first_path}) and {document.source}"
                )
                raise DuplicateDefinitionError(
                    [Problem(document.source, format_path(path), document.line_of(path), message)]
                )
            seen[cluster.name] = (document, index)
    clusters = [cluster for inventory, _ in loaded for cluster in inventory.clusters]
    return Inventory(clusters=tuple(clusters))


def load_model(path: str | os.PathLike[str], model: type[M]) -> M:
    """Load one YAML file into any pydantic model, with the inventory's errors.

    Problems name the file, the key path and the line, as for an inventory; no ${VAR}s.
    """
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InventoryLoadError([Problem(str(file), "", None, f"cannot read: {error}")]) from None
    return _validate(parse_yaml(escape_references(text), source=str(file), env={}), model)


def _validate(document: YamlDocument, model: type[M]) -> M:
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems = [_problem(document, detail) for detail in error.errors(include_url=False)]
        raise InventoryValidationError(problems) from None


def _problem(document: YamlDocument, detail: Any) -> Problem:
    path = _data_path(document.data, detail["loc"])
    message = str(detail["msg"])
    context = detail.get("ctx") or {}
    if detail["type"] == CROSS_CHECK_ERROR:
        path = _data_path(document.data, (*path, *context["at"]))
    elif detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        # Point at the discriminator key itself, e.g. daemon_control.kind.
        path = _data_path(document.data, (*path, str(context["discriminator"]).strip("'")))
        if detail["type"] == "union_tag_not_found":
            message = f"required key {path[-1]!r} is missing"
    elif detail["type"] == "extra_forbidden":
        message = f"unknown key {path[-1]!r}"
    elif detail["type"] == "missing":
        message = f"required key {path[-1]!r} is missing"
    message = _ENUM_REPR.sub(r"'\1'", message.removeprefix("Value error, "))
    for pattern, words in _PLAIN_WORDS:
        message = pattern.sub(words, message)
    return Problem(document.source, format_path(path), document.line_of(path), message)


def _data_path(data: Any, loc: tuple[str | int, ...]) -> KeyPath:
    """Map a pydantic error location onto the YAML key path, dropping union tags."""
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif position == len(loc) - 1 or not isinstance(current, dict):
            # A missing key, or a position inside a value that is not a container.
            current = None
        else:
            # A discriminated-union tag (e.g. "commands"): not part of the YAML.
            continue
        path.append(part)
    return tuple(path)
