"""Argv-style command templates: placeholder parsing and rendering.

A template is a list of argv words, never a shell string: values are substituted
into single words and the result is executed without a shell.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from string import Formatter

from inventory.errors import CommandTemplateError

#: Every placeholder any template may use.
KNOWN_PLACEHOLDERS = frozenset({"osd_id", "device", "kind", "daemon_id"})


def placeholders_in(word: str) -> frozenset[str]:
    """Return the placeholder names used in one argv word; ValueError if malformed."""
    names: set[str] = set()
    try:
        parsed = list(Formatter().parse(word))
    except ValueError as error:
        raise ValueError(f"malformed placeholder in {word!r}: {error}") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        # Format specs, conversions and attribute access would let a template reach
        # beyond the plain value, so only bare names are allowed.
        if not field or spec or conversion:
            raise ValueError(
                f"placeholder {{{field}}} in {word!r} must be a bare name like {{osd_id}}"
            )
        names.add(field)
    return frozenset(names)


def not_a_shell_string(value: object) -> object:
    """A template as given, refused (ValueError) when it is one string a shell would split."""
    if isinstance(value, str):
        raise ValueError("a command template is a list of argv words, not a shell string")
    return value


def check_template(words: Sequence[str], allowed: Collection[str]) -> None:
    """Raise ValueError unless the template is non-empty and uses only allowed placeholders."""
    if not words:
        raise ValueError("a command template needs at least the program to run")
    if not words[0] or placeholders_in(words[0]):
        raise ValueError("the program (first word) must be a fixed, non-empty word")
    for word in words:
        if "\x00" in word:
            raise ValueError("command words must not contain NUL characters")
        unknown = placeholders_in(word) - set(allowed)
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join(sorted(unknown))} in {word!r}; "
                f"this template may use: {', '.join(sorted(allowed)) or 'none'}"
            )


def render_command(
    words: Sequence[str], *, osd_id: int | None = None, device: str | None = None,
    kind: str | None = None, daemon_id: str | None = None,
) -> tuple[str, ...]:
    """Fill a template's placeholders; each word stays one argv element."""
    given = {"osd_id": None if osd_id is None else str(osd_id), "device": device,
             "kind": kind, "daemon_id": daemon_id}
    values = {name: value for name, value in given.items() if value is not None}
    rendered: list[str] = []
    for word in words:
        missing = placeholders_in(word) - values.keys()
        if missing:
            raise CommandTemplateError(
                f"template word {word!r} needs a value for {', '.join(sorted(missing))}"
            )
        rendered.append(word.format_map(values))
    return tuple(rendered)
