"""The format of a stored workflow: written when it is submitted, checked before work on it.

Format 1 is the first numbered one; a workflow without the field was stored before formats
were numbered (format 0), whose layout format 1 keeps, so it reads the same. A workflow of a
newer format than this code knows was stored by a newer dyrygent: working on it with this
one could misread it, so it is refused by name until the workers are upgraded.
"""

from __future__ import annotations

from typing import Any

from dyrygent.errors import WorkflowFormatError

#: The format this code writes, and the newest it reads.
FORMAT = 1
#: The meta field holding it.
FORMAT_FIELD = "format"


def check_format(wf: str, meta: dict[str, Any]) -> int:
    """The stored workflow's format, if this code reads it; WorkflowFormatError if not."""
    raw = meta.get(FORMAT_FIELD) or 0
    try:
        stored = int(raw)
    except (TypeError, ValueError) as e:
        raise WorkflowFormatError(f"workflow {wf!r} has format {raw!r}, not a number") from e
    if stored > FORMAT:
        raise WorkflowFormatError(
            f"workflow {wf!r} was stored in format {stored} by a newer dyrygent; this one "
            f"reads formats 0 to {FORMAT}: upgrade the workers and clients")
    return stored
