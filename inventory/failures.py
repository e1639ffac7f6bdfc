"""What `cephmaint watch` does about a cluster's failed and failing disks."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, PositiveFloat, field_validator, model_validator

from inventory.base import InventoryModel, cross_check_error
from inventory.commands import check_template, not_a_shell_string
from inventory.fields import StrictInt


class FailureAction(StrEnum):
    """Propose a replacement to the operators, or start it without them."""

    PROPOSE = "propose"
    AUTO = "auto"


class FailingDevices(StrEnum):
    """Who acts on a device predicted to fail while it still serves."""

    #: Ceph's devicehealth module marks its OSDs out by itself (mgr/devicehealth/self_heal):
    #: at once and unthrottled; cephmaint only proposes the swap.
    CEPH = "ceph"
    #: cephmaint drains it under its throttles; self_heal is turned off for the cluster
    #: (recorded, and put back once the inventory says ceph again).
    CEPHMAINT = "cephmaint"


class FailurePolicy(InventoryModel):
    """When a disk counts as failed or failing, and what is done about it."""

    action: FailureAction = FailureAction.PROPOSE
    #: How long an OSD stays down before its disk counts as failed: one back sooner (a
    #: restart, a flap) starts nothing. Ceph marks a down OSD out by itself after
    #: mon_osd_down_out_interval, 600 s by default.
    down_grace_seconds: PositiveFloat = Field(default=600.0, allow_inf_nan=False)
    #: Replacements started without an operator, per cluster in any 24 hours; past that
    #: they are proposed.
    max_automatic_per_day: StrictInt = Field(default=1, ge=0)
    #: A device whose life expectancy ends within this many days counts as failing: the
    #: default is mgr/devicehealth/warn_threshold's (6 weeks), when DEVICE_HEALTH is raised.
    predicted_within_days: PositiveFloat = Field(default=42.0, allow_inf_nan=False)
    failing_devices: FailingDevices = FailingDevices.CEPH
    #: Lights a drive's identify LED over SSH, without a shell ({device}: its path), e.g.
    #: ["ledctl", "locate={device}"]; `ceph device light` needs cephadm or Rook.
    locate_on: tuple[str, ...] | None = None
    #: Turns it off again after the swap, e.g. ["ledctl", "locate_off={device}"].
    locate_off: tuple[str, ...] | None = None

    @field_validator("locate_on", "locate_off", mode="before")
    @classmethod
    def _argv_not_shell(cls, value: Any) -> Any:
        # A plain string would have to be split by a shell: refuse it outright.
        return not_a_shell_string(value)

    @model_validator(mode="after")
    def _locate_pair(self) -> FailurePolicy:
        for name in ("locate_on", "locate_off"):
            words = getattr(self, name)
            if words is not None:
                try:
                    check_template(words, {"device"})
                except ValueError as error:
                    raise cross_check_error([name], str(error)) from None
        if (self.locate_on is None) != (self.locate_off is None):
            raise cross_check_error(["locate_off" if self.locate_off is None else "locate_on"],
                                    "locate_on and locate_off go together: an LED lit must "
                                    "be turned off after the swap")
        return self
