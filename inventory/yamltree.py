"""Turn YAML text into plain data plus the line of every key path, with `${ENV}` filled in.

Only the safe YAML subset is accepted: standard tags, no Python objects. The tree is
walked from composed nodes (not yaml.safe_load) so every value keeps its line, and
duplicate keys, which PyYAML would silently collapse, are reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from inventory.errors import InventorySyntaxError, Problem, UnsetVariableError

KeyPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
# `$${` escapes a literal `${`; any other `${` must be a complete `${NAME}` reference.
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Aliases are expanded while walking; nested aliases can multiply a small file into
# billions of values ("billion laughs"), so the walk has a budget far above any fleet.
MAX_VALUES = 1_000_000


def format_path(path: Sequence[str | int]) -> str:
    """Render a key path like clusters[0].hosts[2].ssh.port."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class YamlDocument:
    """Plain data of one YAML document and the 1-based line of each key path in it."""

    source: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of the deepest recorded prefix of path (a missing key points at its parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def escape_references(text: str) -> str:
    """Escape `${` so that interpolation reads the text back unchanged."""
    return text.replace("${", "$${")


class _Walker:
    """Converts composed nodes to plain values, recording lines and interpolating strings."""

    def __init__(self, source: str, env: Mapping[str, str]) -> None:
        self.source = source
        self.env = env
        self.lines: dict[KeyPath, int] = {}
        self.constructor = SafeConstructor()
        self.active: set[int] = set()
        self.budget = MAX_VALUES

    def fail(self, path: KeyPath, node: yaml.Node, message: str) -> InventorySyntaxError:
        problem = Problem(self.source, format_path(path), node.start_mark.line + 1, message)
        return InventorySyntaxError([problem])

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(path, node, f"more than {MAX_VALUES} values after expanding aliases")
        self.lines.setdefault(path, node.start_mark.line + 1)
        # Anchors let one node appear at many paths; a node inside itself never ends.
        if id(node) in self.active:
            raise self.fail(path, node, "recursive YAML alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _TAG + "seq":
                    raise self.fail(path, node, f"unsupported YAML tag {node.tag}")
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.ScalarNode):
                return self.scalar(node, path)
            raise self.fail(path, node, "unsupported YAML node")
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            raise self.fail(path, node, f"unsupported YAML tag {node.tag}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise self.fail(path, key_node, "YAML merge keys (<<) are not supported")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(path, key_node, "mapping keys must be plain strings")
            # Keys are taken verbatim: `on:` or `1:` stay the strings "on" and "1".
            key = str(key_node.value)
            if key in result:
                first = self.lines[(*path, key)]
                raise self.fail(
                    (*path, key), key_node, f"duplicate key {key!r} (first defined on line {first})"
                )
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.walk(value_node, (*path, key))
        return result

    def scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        implicit = node.style is None
        # YAML 1.1 reads 22:00 as the base-60 integer 1320 and 2024-01-01 as a date;
        # the inventory has no such values, so keep the text as written.
        if implicit and (
            node.tag == _TAG + "timestamp"
            or (node.tag in (_TAG + "int", _TAG + "float") and ":" in node.value)
        ):
            return self.interpolate(node.value, path, node)
        try:
            value = self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as error:
            raise self.fail(path, node, f"unsupported YAML value: {error.problem}") from None
        if isinstance(value, str):
            return self.interpolate(value, path, node)
        return value

    def interpolate(self, text: str, path: KeyPath, node: yaml.Node) -> str:
        def replace(match: re.Match[str]) -> str:
            whole = match.group(0)
            if whole == "$${":
                return "${"
            name = match.group(1)
            if name is None:
                raise self.fail(path, node, "unterminated ${ (write $${ for a literal ${)")
            if not _NAME.match(name):
                raise self.fail(path, node, f"invalid environment variable name {name!r}")
            if name not in self.env:
                problem = Problem(
                    self.source,
                    format_path(path),
                    node.start_mark.line + 1,
                    f"environment variable {name} is not set",
                )
                raise UnsetVariableError(name, problem)
            return self.env[name]

        return _REFERENCE.sub(replace, text)


def parse_yaml(text: str, *, source: str, env: Mapping[str, str]) -> YamlDocument:
    """Parse one YAML document safely into plain data with line numbers."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(str(part) for part in (error.context, error.problem) if part)
        line = None if mark is None else mark.line + 1
        raise InventorySyntaxError([Problem(source, "", line, f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as error:
        raise InventorySyntaxError([Problem(source, "", None, f"invalid YAML: {error}")]) from None
    if root is None:
        raise InventorySyntaxError(
            [Problem(source, "", None, "the file is empty; expected a mapping with 'clusters'")]
        )
    walker = _Walker(source, env)
    data = walker.walk(root, ())
    return YamlDocument(source, data, walker.lines)
