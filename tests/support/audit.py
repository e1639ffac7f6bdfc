"""Ceph's own audit log: what state-changing commands the monitors received, and from whom.

The monitors log every command they dispatch on the audit channel; reads at debug level,
changes at info level. A claim that a refused command sent nothing is checked here, not
only against our own records.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from ceph_tasks.audit import Kind, Record
from ceph_tasks.ceph.client import CephClient
from cephmaint.sandbox.cluster import CEPHMAINT_CLIENT
from tests.support.poll import poll

#: Entries read back at most: far more than one test sends.
DEPTH = 500
#: The text of the marks tests write to the cluster log.
MARK = "cephmaint-audit-mark"


def audit_mark(client: CephClient) -> str:
    """A point in the monitors' time: commands dispatched after it are a test's.

    The stamp of a mark written to the cluster log now. An entry's stamp is when its
    monitor took the command, however late the entry becomes readable (the monitors commit
    their log in batches, and a peon's entries reach the leader later still): a command
    sent before the mark never counts, one sent after always does. Times, not sequence
    numbers: each monitor numbers its own entries.
    """
    token = f"{MARK}-{uuid.uuid4().hex}"
    client.mon_command("log", logtext=[token])

    def stamp() -> str | None:
        entries = client.mon_command("log last", num=DEPTH, level="info", channel="audit",
                                     format="json")
        return next((str(e["stamp"]) for e in entries if token in str(e["message"])), None)
    found: str = poll(stamp, timeout=30, interval=0.2, what=f"the audit mark {token} logged")
    return found


def changes_since(client: CephClient, mark: str,
                  entity: str | None = CEPHMAINT_CLIENT) -> list[str]:
    """The state-changing commands an entity (cephmaint's user, by default; None: any
    client, the sandbox's own client.admin too) dispatched after mark, each once, as the
    monitors logged them."""
    entries: list[dict[str, Any]] = client.mon_command(
        "log last", num=DEPTH, level="info", channel="audit", format="json")
    who = "entity='client." if entity is None else f"entity='{entity}'"
    # Stamps are ISO 8601 in the monitors' one time zone: they sort as text.
    return [e["message"] for e in entries if str(e["stamp"]) > mark
            and who in e["message"] and str(e["message"]).endswith(": dispatch")
            and MARK not in e["message"]]


def dispatched(messages: list[str]) -> list[dict[str, Any]]:
    """The commands of audit messages (`... cmd=[{"prefix": ...}]: dispatch`), as sent:
    prefix and arguments, without the output format the client asked for."""
    commands = []
    for message in messages:
        found = re.search(r"cmd=(\[.*\]): dispatch$", message)
        if found is None:
            raise AssertionError(f"an audit message without its command: {message}")
        for command in json.loads(found[1]):
            commands.append({k: v for k, v in command.items() if k != "format"})
    return commands


def missing_from_trail(commands: list[dict[str, Any]], trail: list[Record]) -> list[str]:
    """The commands Ceph received that our audit trail does not hold, each as JSON."""
    ours = {json.dumps({"prefix": r.entry.action, **{k: v for k, v in
                                                      r.entry.details["args"].items()
                                                      if k != "format"}}, sort_keys=True)
            for r in trail if r.entry.kind == Kind.CEPH}
    return [text for text in (json.dumps(c, sort_keys=True) for c in commands)
            if text not in ours]
