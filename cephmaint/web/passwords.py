"""Password hashes: argon2 only, and a decoy hash that makes unknown users cost as much."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's defaults: argon2id with RFC 9106's low-memory profile.
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password, salted, in the PHC string form."""
    return _HASHER.hash(password)


def is_argon2_hash(text: str) -> bool:
    """Whether text is an argon2 hash in the PHC string form ($argon2id$v=19$...)."""
    try:
        extract_parameters(text)
    except InvalidHashError:
        return False
    return True


def verify_password(hashed: str, password: str) -> bool:
    """Whether password matches the hash; a malformed hash matches nothing."""
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def decoy_hash() -> str:
    """A hash no password matches, checked for unknown users so that timing tells nothing."""
    return hash_password(secrets.token_urlsafe(32))
