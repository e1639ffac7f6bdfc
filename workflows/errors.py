"""The exception tree of workflows."""

from __future__ import annotations


class WorkflowsError(Exception):
    """Root of every error raised by workflows."""


class PlanRefused(WorkflowsError):
    """A maintenance cannot be planned safely on the cluster as it is; nothing was changed."""


class PlanError(WorkflowsError):
    """A builder made an inconsistent plan (a step twice, a dependency on no step): a bug."""


class UnknownTarget(WorkflowsError):
    """The host, OSD or cluster a maintenance names is not in the inventory, or is ambiguous."""


class SubmitError(WorkflowsError):
    """A plan could not be handed to the engine (broker or state store unreachable)."""


class ControlRefused(WorkflowsError):
    """An operator's control does not fit the maintenance as it stands; nothing changed."""


class StartRefused(WorkflowsError):
    """A maintenance may not start now (unhealthy cluster, outside its windows); nothing written."""

class ClusterBusy(WorkflowsError):
    """Another maintenance holds the cluster's lease, or one of the hosts; nothing changed."""

    def __init__(self, cluster: str, reference: str, reason: str, *, queueable: bool,
                 holders: tuple[str, ...] = ()) -> None:
        super().__init__(f"{reference} on cluster {cluster} refused, nothing changed: {reason}")
        self.cluster = cluster
        self.reference = reference
        self.reason = reason
        self.queueable = queueable
        self.holders = holders
