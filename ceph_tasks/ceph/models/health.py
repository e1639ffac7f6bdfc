"""Cluster health as `status` and `health detail` report it (pure)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from ceph_tasks.ceph.models.common import CephModel


class HealthStatus(StrEnum):
    """The overall health levels."""

    OK = "HEALTH_OK"
    WARN = "HEALTH_WARN"
    ERR = "HEALTH_ERR"


class CheckSummary(CephModel):
    """The one-line summary of a health check, and how many things it counts."""

    message: str = ""
    count: int = 0


class HealthCheck(CephModel):
    """One raised health check (e.g. OSD_DOWN); `health detail` adds detail lines."""

    severity: HealthStatus
    summary: CheckSummary = CheckSummary()
    detail: tuple[str, ...] = ()
    muted: bool = False

    @field_validator("detail", mode="before")
    @classmethod
    def _messages(cls, value: object) -> object:
        # Ceph prints detail lines as [{"message": "..."}]; keep the text.
        if isinstance(value, list):
            return [item.get("message", "") if isinstance(item, dict) else item
                    for item in value]
        return value


class Health(CephModel):
    """Overall health and the raised checks by code."""

    status: HealthStatus
    checks: dict[str, HealthCheck] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True at HEALTH_OK."""
        return self.status is HealthStatus.OK

    def unmuted_checks(self) -> dict[str, HealthCheck]:
        """The raised checks nobody muted."""
        return {code: check for code, check in self.checks.items() if not check.muted}
