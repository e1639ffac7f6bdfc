"""Per-cluster settings: access, monitoring, notification, maintenance windows, throttles."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, PositiveFloat, SecretStr, field_validator, model_validator

from inventory.base import InventoryModel
from inventory.fields import (
    Address,
    ClientName,
    EmailAddress,
    HttpUrl,
    StrictBool,
    StrictInt,
    Token,
)


class CephAccess(InventoryModel):
    """How to reach a cluster: a ceph.conf (and keyring) or monitor addresses, as a client."""

    conf_path: Path | None = None
    keyring_path: Path | None = None
    mon_hosts: tuple[Token, ...] = ()
    client_name: ClientName = "client.admin"

    @model_validator(mode="after")
    def _needs_a_way_in(self) -> CephAccess:
        if self.conf_path is None and not self.mon_hosts:
            raise ValueError("give conf_path or mon_hosts (or both) to reach the cluster")
        return self


class IcingaTarget(InventoryModel):
    """An Icinga 2 API used to schedule downtimes."""

    url: HttpUrl
    user: Token
    password: SecretStr


class AlertmanagerTarget(InventoryModel):
    """A Prometheus Alertmanager used to create silences."""

    url: HttpUrl


class MonitoringTargets(InventoryModel):
    """Where to silence alerts during maintenance; either, both or none."""

    icinga: IcingaTarget | None = None
    alertmanager: AlertmanagerTarget | None = None


class ChatTarget(InventoryModel):
    """A chat incoming-webhook; its URL is a credential, hence secret."""

    webhook_url: SecretStr


class EmailTarget(InventoryModel):
    """An SMTP relay and the addresses technicians' mails go from and to."""

    smtp_host: Address
    smtp_port: StrictInt = Field(default=25, ge=1, le=65535)
    sender: EmailAddress
    recipients: tuple[EmailAddress, ...] = Field(min_length=1)
    starttls: StrictBool = False
    user: Token | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials_in_pairs(self) -> EmailTarget:
        if (self.user is None) != (self.password is None):
            raise ValueError("give both user and password for SMTP login, or neither")
        return self


class TicketTarget(InventoryModel):
    """A JIRA-style ticket tracker."""

    url: HttpUrl
    project: Token
    token: SecretStr


class NotificationTargets(InventoryModel):
    """How datacenter technicians are told about work; any combination."""

    chat: ChatTarget | None = None
    email: EmailTarget | None = None
    ticket: TicketTarget | None = None


class Weekday(StrEnum):
    """Day of the week, in datetime.weekday() order."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as in datetime.weekday()."""
        return list(Weekday).index(self)


class MaintenanceWindow(InventoryModel):
    """Weekly UTC window; an end at or before the start means it runs past midnight."""

    days: frozenset[Weekday] = Field(min_length=1)
    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time_text(cls, value: Any) -> Any:
        # Numbers would be read as seconds since midnight: demand "HH:MM" text.
        if isinstance(value, time | str):
            return value
        raise ValueError("write the time as 'HH:MM' (UTC)")

    @field_validator("start", "end")
    @classmethod
    def _naive_utc(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("times are UTC; write them without an offset")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> MaintenanceWindow:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty")
        return self

    def contains(self, moment: datetime) -> bool:
        """Whether an aware datetime falls inside this window."""
        if moment.tzinfo is None:
            raise ValueError("pass a timezone-aware datetime")
        utc = moment.astimezone(UTC)
        clock = utc.time().replace(tzinfo=None)
        day = utc.weekday()
        indexes = {weekday.number for weekday in self.days}
        if self.start < self.end:
            return day in indexes and self.start <= clock < self.end
        previous = (utc - timedelta(days=1)).weekday()
        return (day in indexes and clock >= self.start) or (
            previous in indexes and clock < self.end
        )


class Throttles(InventoryModel):
    """Limits for moving data: backfill cap, CRUSH weight steps, and how full OSDs may get."""

    max_backfilling_pgs: StrictInt = Field(default=16, gt=0)
    crush_weight_step: PositiveFloat = Field(default=0.5, allow_inf_nan=False)
    step_interval_seconds: PositiveFloat = Field(default=60.0, allow_inf_nan=False)
    #: Percentage points below the cluster's nearfull ratio that a plan may fill OSDs to.
    capacity_margin_points: float = Field(default=5.0, ge=0, lt=100, allow_inf_nan=False)
    #: How long a drain or fill may hold on full OSDs before it fails.
    full_hold_limit_seconds: PositiveFloat = Field(default=6 * 3600.0, allow_inf_nan=False)
