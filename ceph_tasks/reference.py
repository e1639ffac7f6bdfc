"""Maintenance references: the code that ties downtimes, messages and tickets together."""

from __future__ import annotations

import re

from ceph_tasks.errors import InvalidInput

_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def check_reference(reference: str) -> str:
    """Accept a maintenance reference: 1-64 letters, digits and '_.:-', not starting with one."""
    if not _REFERENCE.fullmatch(reference):
        raise InvalidInput(
            f"{reference!r} is not a valid reference (1-64 of letters, digits, '_', '.', ':', '-')"
        )
    return reference
