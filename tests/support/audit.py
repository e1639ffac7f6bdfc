"""Ceph's own audit log: what state-changing commands the monitors received, and from whom.

The monitors log every command they dispatch on the audit channel; reads at debug level,
changes at info level. A claim that a refused command sent nothing is checked here, not
only against our own records.
"""

from __future__ import annotations

from typing import Any

from ceph_tasks.ceph.client import CephClient

#: Entries read back at most: far more than one test sends.
DEPTH = 500


def audit_mark(client: CephClient) -> str:
    """The time of the latest audit entry: changes logged after it are a test's.

    Times, not sequence numbers: each monitor numbers its own entries.
    """
    entries = client.mon_command("log last", num=DEPTH, level="debug", channel="audit",
                                 format="json")
    return max((str(e["stamp"]) for e in entries), default="")


def changes_since(client: CephClient, mark: str, entity: str = "client.admin") -> list[str]:
    """The state-changing commands an entity sent after mark, as the monitors logged them."""
    entries: list[dict[str, Any]] = client.mon_command(
        "log last", num=DEPTH, level="info", channel="audit", format="json")
    # Stamps are ISO 8601 in the monitors' one time zone: they sort as text.
    return [e["message"] for e in entries
            if str(e["stamp"]) > mark and f"entity='{entity}'" in e["message"]]
