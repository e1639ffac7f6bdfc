"""Ceph's own audit log: what state-changing commands the monitors received, and from whom.

The monitors log every command they dispatch on the audit channel; reads at debug level,
changes at info level. A claim that a refused command sent nothing is checked here, not
only against our own records.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

from ceph_tasks.ceph.client import CephClient
from cephmaint.sandbox.cluster import CEPHMAINT_CLIENT

#: Entries read back at most: far more than one test sends.
DEPTH = 500


def audit_mark(client: CephClient) -> str:
    """The time of the latest audit entry: changes logged after it are a test's.

    Times, not sequence numbers: each monitor numbers its own entries.
    """
    entries = client.mon_command("log last", num=DEPTH, level="debug", channel="audit",
                                 format="json")
    return max((str(e["stamp"]) for e in entries), default="")


_COMMAND = re.compile(
    r"entity='(?P<entity>[^']*)' cmd='?(?P<cmd>\[.*\])'?: (?P<end>dispatch|finished)$")


def settled_mark(client: CephClient, timeout: float = 30.0) -> str:
    """audit_mark, once every change dispatched so far is also logged as finished.

    The monitors commit their log in batches: a command's "finished" entry can appear
    seconds after the command returned, and would then look sent after a plain mark.
    """
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        entries = client.mon_command("log last", num=DEPTH, level="info", channel="audit",
                                     format="json")
        ends: dict[str, Counter[str]] = {"dispatch": Counter(), "finished": Counter()}
        for entry in entries:
            found = _COMMAND.search(str(entry["message"]))
            if found:
                ends[found["end"]][f"{found['entity']} {found['cmd']}"] += 1
        if all(ends["finished"][cmd] >= n for cmd, n in ends["dispatch"].items()):
            break
        time.sleep(0.5)
    return audit_mark(client)


def changes_since(client: CephClient, mark: str,
                  entity: str | None = CEPHMAINT_CLIENT) -> list[str]:
    """The state-changing commands an entity (cephmaint's user, by default; None: any
    client, the sandbox's own client.admin too) sent after mark, as the monitors logged
    them."""
    entries: list[dict[str, Any]] = client.mon_command(
        "log last", num=DEPTH, level="info", channel="audit", format="json")
    who = "entity='client." if entity is None else f"entity='{entity}'"
    # Stamps are ISO 8601 in the monitors' one time zone: they sort as text.
    return [e["message"] for e in entries if str(e["stamp"]) > mark and who in e["message"]]
