"""Per-cluster settings: access, monitoring, notification, windows, throttles, client impact."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PositiveFloat, SecretStr, field_validator, model_validator

from inventory.base import InventoryModel
from inventory.fields import (
    Address,
    ClientName,
    EmailAddress,
    HttpUrl,
    StrictBool,
    StrictInt,
    Text,
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
    """A weekly window in a time zone; an end at or before the start runs past midnight."""

    days: frozenset[Weekday] = Field(min_length=1)
    start: time
    end: time
    # An IANA name: the window follows the zone's daylight-saving changes, as people do.
    timezone: str = "UTC"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time_text(cls, value: Any) -> Any:
        # Numbers would be read as seconds since midnight: demand "HH:MM" text.
        if isinstance(value, time | str):
            return value
        raise ValueError("write the time as 'HH:MM' (local to the window's timezone)")

    @field_validator("start", "end")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("times are local to the window's timezone; write no offset")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}: write an IANA name such as "
                             "Europe/Paris or UTC") from e
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> MaintenanceWindow:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The window's time zone."""
        return ZoneInfo(self.timezone)

    def occurrences(self, moment: datetime) -> list[tuple[datetime, datetime]]:
        """The (start, end) of every opening from the day before moment to 8 days after."""
        if moment.tzinfo is None:
            raise ValueError("pass a timezone-aware datetime")
        today = moment.astimezone(self.zone).date()
        numbers = {weekday.number for weekday in self.days}
        found = []
        for offset in range(-1, 9):
            day = today + timedelta(days=offset)
            if day.weekday() not in numbers:
                continue
            opens = datetime.combine(day, self.start, tzinfo=self.zone)
            closes_on = day if self.start < self.end else day + timedelta(days=1)
            found.append((opens, datetime.combine(closes_on, self.end, tzinfo=self.zone)))
        return found

    def current_end(self, moment: datetime) -> datetime | None:
        """When the opening that moment falls in closes; None outside the window."""
        ends = [end for start, end in self.occurrences(moment) if start <= moment < end]
        return max(ends, default=None)

    def next_start(self, moment: datetime) -> datetime:
        """The first opening after moment (within the next 8 days: every window has one)."""
        return min(start for start, _ in self.occurrences(moment) if start > moment)

    def contains(self, moment: datetime) -> bool:
        """Whether an aware datetime falls inside this window."""
        return self.current_end(moment) is not None

    def describe(self) -> str:
        """The window as people write it: 'tue,thu 22:00-04:00 Europe/Paris'."""
        days = ",".join(day.value for day in Weekday if day in self.days)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


class RecoveryPace(StrEnum):
    """How hard each OSD works on recovery and backfill while a maintenance moves data."""

    GENTLE = "gentle"
    BALANCED = "balanced"
    FAST = "fast"


class RecoverySettings(InventoryModel):
    """Per-OSD recovery settings while data moves, on either scheduler (wpq or mClock).

    Each left out (None) stays as the cluster has it; an option the operator set in the
    config database is never overridden.
    """

    #: The per-OSD backfill limit (osd_max_backfills; under mClock with its override).
    backfills_per_osd: StrictInt | None = Field(default=None, ge=1)
    pace: RecoveryPace | None = None

    @model_validator(mode="after")
    def _asks_something(self) -> RecoverySettings:
        if self.backfills_per_osd is None and self.pace is None:
            raise ValueError("give backfills_per_osd or pace (or both), or leave recovery out "
                             "to keep the cluster's own settings")
        return self


class Throttles(InventoryModel):
    """Limits for moving data: backfill cap, CRUSH weight steps, and how full OSDs may get."""

    max_backfilling_pgs: StrictInt = Field(default=16, gt=0)
    crush_weight_step: PositiveFloat = Field(default=0.5, allow_inf_nan=False)
    step_interval_seconds: PositiveFloat = Field(default=60.0, allow_inf_nan=False)
    #: Percentage points below the cluster's nearfull ratio that a plan may fill OSDs to.
    capacity_margin_points: float = Field(default=5.0, ge=0, lt=100, allow_inf_nan=False)
    #: How long a drain or fill may hold on full OSDs before it fails.
    full_hold_limit_seconds: PositiveFloat = Field(default=6 * 3600.0, allow_inf_nan=False)
    #: Per-OSD recovery settings while data moves; None leaves the cluster's alone.
    recovery: RecoverySettings | None = None


class PrometheusCheck(InventoryModel):
    """A Prometheus instant query whose largest value must stay at or under a threshold."""

    url: HttpUrl
    query: Text
    # Held while the query's largest value is above this; an empty answer is clear.
    threshold: float = Field(allow_inf_nan=False)


class ClientImpact(InventoryModel):
    """When weight steps hold because clients suffer: slow ops, OSD latency, a query."""

    hold_on_slow_ops: StrictBool = True
    # Per-OSD commit and apply latency from `osd perf`, in milliseconds.
    max_osd_latency_ms: PositiveFloat = Field(default=500.0, allow_inf_nan=False)
    prometheus: PrometheusCheck | None = None
