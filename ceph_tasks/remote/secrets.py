"""A secret value (a key passphrase) that never shows in reprs, logs or messages."""

from __future__ import annotations

from collections.abc import Mapping

from ceph_tasks.errors import CephTaskError


class Secret:
    """Holds a secret string; printing or logging it shows only a placeholder."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def from_env(cls, name: str, env: Mapping[str, str]) -> Secret:
        """Read the secret from an environment (as read at the edge); CephTaskError if unset."""
        try:
            return cls(env[name])
        except KeyError:
            # Only the variable's name: there is no value to leak, and none is shown anyway.
            raise CephTaskError(f"environment variable {name} is not set") from None

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
