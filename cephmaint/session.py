"""What a command works with: the settings read once, and the clients made from them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from celery import Celery
from rich.console import Console

from ceph_tasks.http import strip_credentials
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from cephmaint.follow import Snapshot, read_snapshot
from dyrygent.errors import UnknownWorkflowError
from dyrygent.handle import WorkflowHandle
from inventory import Inventory
from workflows.engine import processor_of, worker_app


@dataclass
class Overrides:
    """What the command line's shared options set; None: not given, the environment decides."""

    inventory_path: Path | None = None
    redis_url: str | None = None
    broker_url: str | None = None


class Session:
    """The settings of one command, and the app, ledger and handles it needs, made once."""

    def __init__(self, settings: Settings, console: Console | None = None) -> None:
        self.settings = settings
        self.console = console or Console(highlight=False)

    @classmethod
    def start(cls, overrides: Overrides) -> Session:
        """The edge: read the environment once, the command line's options win."""
        given = {f.name: getattr(overrides, f.name) for f in fields(overrides)}
        return cls(Settings.from_env(**given))

    @cached_property
    def app(self) -> Celery:
        """The Celery app that sends tasks and reads workflows."""
        return worker_app(self.settings, name="cephmaint-cli")

    @cached_property
    def ledger(self) -> RedisLedger:
        """The ledger of every maintenance."""
        return RedisLedger.from_url(self.settings.redis_url)

    def inventory(self) -> Inventory:
        """The inventory the settings name."""
        return self.settings.inventory()

    def handle(self, reference: str) -> WorkflowHandle:
        """The handle of a submitted workflow; UnknownWorkflowError when there is none."""
        handle = processor_of(self.app).handle(reference)
        try:
            handle.status()
        except UnknownWorkflowError as e:
            where = strip_credentials(self.settings.redis_url)
            raise UnknownWorkflowError(
                f"no workflow {reference!r} in the store at {where}; `cephmaint status` "
                "takes the reference `cephmaint run` printed") from e
        return handle

    def plan(self, reference: str) -> dict[str, Any]:
        """The plan recorded when the maintenance was submitted."""
        plan = self.ledger.recall(reference, "plan")
        return plan if isinstance(plan, dict) else {}

    def snapshot(self, handle: WorkflowHandle) -> Snapshot:
        """What the progress view shows of a workflow now."""
        return read_snapshot(handle, self.ledger, self.plan(handle.id))
