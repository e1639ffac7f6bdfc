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


def audit_mark(client: CephClient) -> int:
    """The sequence number of the latest audit entry: changes after it are a test's."""
    entries = client.mon_command("log last", num=1, level="debug", channel="audit",
                                 format="json")
    return int(entries[-1]["seq"]) if entries else 0


def changes_since(client: CephClient, mark: int, entity: str = "client.admin") -> list[str]:
    """The state-changing commands an entity sent after mark, as the monitors logged them."""
    entries: list[dict[str, Any]] = client.mon_command(
        "log last", num=DEPTH, level="info", channel="audit", format="json")
    return [e["message"] for e in entries
            if int(e["seq"]) > mark and f"entity='{entity}'" in e["message"]]
