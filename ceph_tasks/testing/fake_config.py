"""A config database and OSDs' running op queues a FakeCephClient answers from, for tests."""

from __future__ import annotations

import errno
from typing import Any

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import CephBadOutput, CephNotFound
from ceph_tasks.testing.fake_ceph import FakeCephClient


class FakeConfigDatabase:
    """`config dump`, `config set`, `config rm` and `config show WHO KEY`, kept consistent.

    Entries are {"section", "name", "value"} plus a mask's fields, as `config dump` prints
    them. `config show` answers as a real manager does: the bare value, not JSON.
    """

    def __init__(self, op_queues: dict[int, str] | None = None) -> None:
        self.entries: list[dict[str, Any]] = []
        #: Each reporting OSD's running osd_op_queue; others are not known to the manager.
        self.op_queues: dict[int, str] = dict(op_queues or {})

    def install(self, client: FakeCephClient) -> FakeConfigDatabase:
        """Have client answer the config commands from this database; return self."""
        client.answer("config dump", lambda _: [dict(e) for e in self.entries])
        client.answer("config set", self._set)
        client.answer("config rm", self._rm)
        client.answer("config show", self._show)
        return self

    def put(self, section: str, name: str, value: str, **mask: str) -> None:
        """Set an entry as an operator would (`config set`, with a mask's fields)."""
        self._drop(section, name, mask)
        self.entries.append({"section": section, "name": name, "value": value,
                             "level": "advanced", "can_update_at_runtime": True,
                             "mask": "", **mask})

    def value(self, section: str, name: str) -> str | None:
        """The unmasked entry of section and name, or None."""
        return next((e["value"] for e in self.entries if e["section"] == section
                     and e["name"] == name and not _masked(e)), None)

    def _set(self, command: CephCommand) -> None:
        self.put(command.args["who"], command.args["name"], str(command.args["value"]))

    def _rm(self, command: CephCommand) -> None:
        self._drop(command.args["who"], command.args["name"], {})

    def _drop(self, section: str, name: str, mask: dict[str, str]) -> None:
        self.entries = [e for e in self.entries if not (
            e["section"] == section and e["name"] == name
            and {k: e.get(k, "") for k in _MASK} == {k: mask.get(k, "") for k in _MASK})]

    def _show(self, command: CephCommand) -> None:
        who = str(command.args["who"])
        osd = int(who.removeprefix("osd.")) if who.startswith("osd.") else -1
        if osd not in self.op_queues:
            raise CephNotFound(command.describe(), errno.ENOENT,
                               f"no config state for daemon {who}")
        # The manager prints the bare value whatever the format: the clients cannot parse it.
        text = f"{self.op_queues[osd]}\n"
        raise CephBadOutput(command.describe(), 0, f"output is not JSON: {text!r}", text)


_MASK = ("location_type", "location_value", "device_class")


def _masked(entry: dict[str, Any]) -> bool:
    return any(entry.get(k) for k in _MASK)
