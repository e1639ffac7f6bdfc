"""An in-memory CephClient answering from canned JSON, for tests of code that reads Ceph."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import CephCommandError, CephInvalidCommand

#: Fixture file names (as the capture script writes them) -> the command they answer.
FIXTURE_PREFIXES: dict[str, tuple[str, dict[str, Any]]] = {
    "status": ("status", {}),
    "health_detail": ("health", {"detail": "detail"}),
    "osd_tree": ("osd tree", {}),
    "osd_df": ("osd df", {}),
    "osd_dump": ("osd dump", {}),
    "osd_perf": ("osd perf", {}),
    "pg_stat": ("pg stat", {}),
    "pg_dump_pgs_brief": ("pg dump", {"dumpcontents": ["pgs_brief"]}),
    "osd_pool_ls_detail": ("osd pool ls", {"detail": "detail"}),
    "osd_crush_rule_dump": ("osd crush rule dump", {}),
    "versions": ("versions", {}),
}

#: An answer: JSON to return, an error to raise, or a function of the command.
Answer = Any | CephCommandError | Callable[[CephCommand], Any]


class FakeCephClient:
    """Answers each command prefix with what was set for it; records every command sent."""

    def __init__(self, answers: Mapping[str, Answer] | None = None) -> None:
        self.answers: dict[str, Answer] = dict(answers or {})
        self.calls: list[CephCommand] = []
        self.closed = False

    @classmethod
    def from_fixtures(cls, folder: Path) -> FakeCephClient:
        """A client answering the read commands from a captured fixture folder."""
        answers: dict[str, Answer] = {}
        for name, (prefix, _) in FIXTURE_PREFIXES.items():
            path = folder / f"{name}.json"
            if path.exists():
                answers[prefix] = json.loads(path.read_text())
        return cls(answers)

    def answer(self, prefix: str, value: Answer) -> None:
        """Set the answer to prefix: JSON, a CephCommandError to raise, or a function."""
        self.answers[prefix] = value

    def mon_command(self, prefix: str, **args: Any) -> Any:
        """Answer a command from the canned answers."""
        return self._reply(CephCommand(prefix, args))

    def mgr_command(self, prefix: str, **args: Any) -> Any:
        """Answer a command from the canned answers (no mon / mgr distinction)."""
        return self._reply(CephCommand(prefix, args))

    def close(self) -> None:
        """Mark the client closed."""
        self.closed = True

    def _reply(self, command: CephCommand) -> Any:
        self.calls.append(command)
        if command.prefix not in self.answers:
            raise CephInvalidCommand(command.describe(), 22, "command not known to the fake")
        answer = self.answers[command.prefix]
        if isinstance(answer, CephCommandError):
            raise answer
        if callable(answer):
            return answer(command)
        # A copy, so that callers mutating an answer cannot change the next one.
        return copy.deepcopy(answer)
