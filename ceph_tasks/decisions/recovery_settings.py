"""Per-OSD recovery settings while a maintenance moves data, on either scheduler (pure).

An OSD runs one op queue, read from its running `osd_op_queue`: wpq (Pacific's default)
or mclock_scheduler (Reef's). The inventory asks for a backfill limit and a pace
(inventory.RecoverySettings); each OSD gets the options its scheduler honours:

- wpq (https://docs.ceph.com/en/reef/rados/configuration/osd-config-ref/): the limit is
  osd_max_backfills; the pace is osd_recovery_max_active (a non-zero value overrides the
  _hdd and _ssd variants) and, for gentle, osd_recovery_sleep (likewise over the
  per-device sleeps).
- mClock (https://docs.ceph.com/en/reef/rados/configuration/mclock-config-ref/): the pace
  is the profile; mClock ignores osd_max_backfills and osd_recovery_max_active unless
  osd_mclock_override_recovery_settings is true, and forces osd_recovery_sleep to 0, so a
  backfill limit (and only that) sets the override and then osd_max_backfills.

An option the operator set in the config database (for all daemons, all OSDs, this OSD, or
under a mask that covers it) is theirs: kept, and said so, unless the maintenance's value
of a limit is gentler (a lower backfill limit for its duration): a maintenance may slow
recovery below what the operator configured, never speed it up. Every value
this maintenance sets is recorded in the ledger first with what the OSD's own entry was
(or that there was none), and the restore puts that back, unless someone changed it since.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ceph_tasks.ceph.models import OsdTree
from ceph_tasks.ceph.models.config_db import ConfigEntry
from ceph_tasks.decisions.change import Change
from inventory import RecoveryPace, RecoverySettings

#: The ledger key prefix of every recovery option a maintenance set on an OSD.
LEDGER_PREFIX = "recovery-settings"
#: The option naming an OSD's op queue (its scheduler); changing it needs a restart.
OP_QUEUE = "osd_op_queue"

MAX_BACKFILLS = "osd_max_backfills"
MAX_ACTIVE = "osd_recovery_max_active"
SLEEP = "osd_recovery_sleep"
PROFILE = "osd_mclock_profile"
OVERRIDE = "osd_mclock_override_recovery_settings"

# wpq: recovery ops in flight per OSD and the sleep between them, by pace. Gentle is one at
# a time with Ceph's HDD sleep (0.1 s) on every device; balanced is Ceph's HDD default (3);
# fast is near the SSD default (10). Balanced and fast set no sleep: 0 is its default, and
# means the per-device sleeps, so setting it would change nothing.
_WPQ_PACE: dict[RecoveryPace, tuple[tuple[str, str], ...]] = {
    RecoveryPace.GENTLE: ((MAX_ACTIVE, "1"), (SLEEP, "0.1")),
    RecoveryPace.BALANCED: ((MAX_ACTIVE, "3"),),
    RecoveryPace.FAST: ((MAX_ACTIVE, "8"),),
}
# mClock: the built-in profile that shares the OSD between clients and recovery that way.
_MCLOCK_PROFILE: dict[RecoveryPace, str] = {
    RecoveryPace.GENTLE: "high_client_ops",
    RecoveryPace.BALANCED: "balanced",
    RecoveryPace.FAST: "high_recovery_ops",
}


class Scheduler(StrEnum):
    """The op queues whose recovery options this module knows, by osd_op_queue's value."""

    WPQ = "wpq"
    MCLOCK = "mclock_scheduler"

    @property
    def short(self) -> str:
        """The name a plan says."""
        return "mclock" if self is Scheduler.MCLOCK else str(self)


@dataclass(frozen=True)
class OsdPlace:
    """Where an OSD sits, to judge masked entries: its device class and CRUSH buckets."""

    device_class: str = ""
    #: Bucket name by CRUSH type: {"host": "node1", "rack": "r1", "root": "default"}.
    buckets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecoveryView:
    """What the settings are decided from, read at one moment."""

    #: Each up OSD's running osd_op_queue; None when the manager has no report of it.
    op_queues: Mapping[int, str | None]
    config: tuple[ConfigEntry, ...]
    places: Mapping[int, OsdPlace] = field(default_factory=dict)

    def decide(self, asked: RecoverySettings, ours: Collection[str] = ()) -> RecoveryDecision:
        """The decision for these settings (see decide)."""
        return decide(self.op_queues, self.config, asked, ours=ours, places=self.places)


def places(tree: OsdTree) -> dict[int, OsdPlace]:
    """Every OSD's device class and the CRUSH buckets above it, by type."""
    types = sorted({n.type for n in tree.nodes if not n.is_osd})
    above: dict[int, dict[str, str]] = {}
    for bucket_type in types:
        for name, osds in tree.buckets(bucket_type).items():
            for osd in osds:
                above.setdefault(osd, {})[bucket_type] = name
    return {n.id: OsdPlace(n.device_class or "", above.get(n.id, {})) for n in tree.osds()}


@dataclass(frozen=True)
class Setting:
    """One option to give one OSD."""

    osd: int
    option: str
    value: str

    @property
    def who(self) -> str:
        """The config database section of the OSD."""
        return f"osd.{self.osd}"

    @property
    def ledger_key(self) -> str:
        """Where the OSD's entry before the maintenance is recorded."""
        return setting_key(self.osd, self.option)

    def change(self) -> Change:
        """The `config set` that gives it."""
        return Change("config set", {"who": self.who, "name": self.option, "value": self.value},
                      f"{self.who} {self.option} {self.value}")


@dataclass(frozen=True)
class Kept:
    """An option the operator set for an OSD, left as it is."""

    osd: int
    option: str
    value: str
    #: Where the operator set it: "osd", "osd.3", "osd/host:node1".
    where: str


@dataclass(frozen=True)
class RecoveryDecision:
    """What each OSD gets, what is the operator's, and the OSDs left alone (and why)."""

    settings: tuple[Setting, ...] = ()
    kept: tuple[Kept, ...] = ()
    #: OSD id -> why none of its options are touched (an op queue not known here).
    skipped: Mapping[int, str] = field(default_factory=dict)
    schedulers: Mapping[int, Scheduler] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """One line per group of OSDs that get the same settings, for the plan."""
        groups: dict[str, list[int]] = {}
        for osd, scheduler in sorted(self.schedulers.items()):
            groups.setdefault(f"({scheduler.short}): {self._said(osd)}", []).append(osd)
        for osd, why in sorted(self.skipped.items()):
            groups.setdefault(f"left alone: {why}", []).append(osd)
        return [f"{osd_ranges(osds)} {said}" for said, osds in groups.items()]

    def _said(self, osd: int) -> str:
        parts: list[str] = []
        for s in self.settings:
            if s.osd != osd:
                continue
            if s.option == PROFILE:
                parts.append(f"profile {s.value}")
            elif s.option == OVERRIDE:
                parts.append("override")
            elif parts and parts[-1] == "override":
                parts[-1] = f"override + {s.option} {s.value}"
            else:
                parts.append(f"{s.option} {s.value}")
        said = ", ".join(parts) or "nothing to set"
        kept = [f"{k.option} {k.value} ({k.where})" for k in self.kept if k.osd == osd]
        return f"{said}; the operator's kept: {', '.join(kept)}" if kept else said


def scheduler_of(op_queue: str) -> Scheduler | None:
    """The scheduler an osd_op_queue value names; None for one not known here."""
    try:
        return Scheduler(op_queue.strip())
    except ValueError:
        return None


def wanted(scheduler: Scheduler, asked: RecoverySettings) -> list[tuple[str, str]]:
    """The options (in the order to send them) that give an OSD what is asked."""
    options: list[tuple[str, str]] = []
    if scheduler is Scheduler.WPQ:
        if asked.backfills_per_osd is not None:
            options.append((MAX_BACKFILLS, str(asked.backfills_per_osd)))
        if asked.pace is not None:
            options += _WPQ_PACE[asked.pace]
        return options
    if asked.pace is not None:
        options.append((PROFILE, _MCLOCK_PROFILE[asked.pace]))
    if asked.backfills_per_osd is not None:
        # The override first: an OSD under mClock resets a limit set without it.
        options += [(OVERRIDE, "true"), (MAX_BACKFILLS, str(asked.backfills_per_osd))]
    return options


def decide(op_queues: Mapping[int, str | None], entries: Iterable[ConfigEntry],
           asked: RecoverySettings, *, ours: Collection[str] = (),
           places: Mapping[int, OsdPlace] | None = None) -> RecoveryDecision:
    """What to set on each OSD, given its running op queue (None: not reported) and the
    config database.

    ours: the ledger keys this maintenance recorded; an OSD's own entry under one of them
    was set by it, not by the operator. places: where each OSD sits, to judge masked
    entries; a masked entry for an OSD whose place is not known counts as covering it.
    """
    entries = tuple(entries)
    settings: list[Setting] = []
    kept: list[Kept] = []
    skipped: dict[int, str] = {}
    schedulers: dict[int, Scheduler] = {}
    for osd, queue in sorted(op_queues.items()):
        scheduler = None if queue is None else scheduler_of(queue)
        if scheduler is None:
            skipped[osd] = ("the manager has no running config of it" if queue is None
                            else f"op queue {queue!r} is neither wpq nor mclock_scheduler")
            continue
        schedulers[osd] = scheduler
        place = (places or {}).get(osd)
        for option, value in wanted(scheduler, asked):
            operators = operator_entry(entries, osd, option, place, ours)
            if operators is not None and not gentler(option, value, operators.value):
                kept.append(Kept(osd, option, operators.value, _where(operators)))
            else:
                settings.append(Setting(osd, option, value))
    settings = _drop_lone_overrides(settings, kept)
    return RecoveryDecision(tuple(settings), tuple(kept), skipped, schedulers)


#: Options whose smaller value slows recovery, and whose larger one does.
_LOWER_IS_GENTLER = frozenset({MAX_BACKFILLS, MAX_ACTIVE})
_HIGHER_IS_GENTLER = frozenset({SLEEP})


def gentler(option: str, ours: str, theirs: str) -> bool:
    """Whether our value of a limit recovers more gently than the operator's.

    A maintenance may make recovery gentler than the operator configured (a lower backfill
    limit for its duration), never faster: a pace or profile of theirs is always kept.
    """
    try:
        mine, other = float(ours), float(theirs)
    except ValueError:
        return False
    if option in _LOWER_IS_GENTLER:
        return mine < other
    return option in _HIGHER_IS_GENTLER and mine > other


def _drop_lone_overrides(settings: list[Setting], kept: Sequence[Kept]) -> list[Setting]:
    # The override is asked for the backfill limit only: where the operator's own
    # osd_max_backfills is kept, switching the override on would change their settings'
    # meaning, so it is not set either.
    theirs = {k.osd for k in kept if k.option == MAX_BACKFILLS}
    return [s for s in settings if not (s.option == OVERRIDE and s.osd in theirs)]


def operator_entry(entries: Iterable[ConfigEntry], osd: int, option: str,
                   place: OsdPlace | None, ours: Collection[str] = ()) -> ConfigEntry | None:
    """The operator's config database entry of option that applies to an OSD, if any.

    The most specific wins in Ceph (osd.N over osd over global); any one is the
    operator's choice, so the most specific is named.
    """
    found = [e for e in entries if e.name == option and _covers(e, osd, place)
             and not (e.section == f"osd.{osd}" and not e.masked
                      and setting_key(osd, option) in ours)]
    order = {f"osd.{osd}": 0, "osd": 1, "global": 2}
    return min(found, key=lambda e: (order[e.section], not e.masked), default=None)


def _covers(entry: ConfigEntry, osd: int, place: OsdPlace | None) -> bool:
    if entry.section not in ("global", "osd", f"osd.{osd}"):
        return False
    if not entry.masked:
        return True
    if place is None:
        return True  # not known where the OSD sits: the operator's entry may be for it
    if entry.device_class and entry.device_class != place.device_class:
        return False
    return not entry.location_type or (
        place.buckets.get(entry.location_type) == entry.location_value)


def _where(entry: ConfigEntry) -> str:
    mask = [f"{entry.location_type}:{entry.location_value}"] if entry.location_type else []
    mask += [f"class:{entry.device_class}"] if entry.device_class else []
    return "/".join([entry.section, *mask])


def own_value(entries: Iterable[ConfigEntry], osd: int, option: str) -> str | None:
    """The OSD's own unmasked entry of option in the config database, or None."""
    return next((e.value for e in entries if e.section == f"osd.{osd}" and e.name == option
                 and not e.masked), None)


def to_send(decision: RecoveryDecision, entries: Iterable[ConfigEntry]) -> list[Setting]:
    """The settings not yet in the config database as wanted (a re-run sends nothing)."""
    entries = tuple(entries)
    return [s for s in decision.settings
            if not same_value(own_value(entries, s.osd, s.option), s.value)]


def same_value(stored: str | None, value: str | None) -> bool:
    """Whether the config database holds value: it keeps numbers in its own form (0.1 is
    stored as 0.100000) and booleans as given."""
    if stored is None or value is None:
        return stored is value
    try:
        return float(stored) == float(value)
    except ValueError:
        return stored.strip().lower() == value.strip().lower()


def setting_key(osd: int, option: str) -> str:
    """The ledger key recording osd.N's entry of option before the maintenance set it."""
    return f"{LEDGER_PREFIX}:osd.{osd}:{option}"


def record(setting: Setting, before: str | None) -> dict[str, Any]:
    """The ledger value of a setting: the OSD's entry before (None: none) and ours."""
    return {"before": before, "set": setting.value}


def restore_changes(recorded: Mapping[str, Any], entries: Iterable[ConfigEntry]
                    ) -> list[Change]:
    """What to send to put back the recorded settings still as this maintenance left them.

    An entry someone changed or removed since is theirs now, and left. Under mClock the
    limit goes back before its override, as it was set after it.
    """
    entries = tuple(entries)
    parsed = sorted(((found, value) for key, value in recorded.items()
                     if (found := _parse_key(key)) is not None and isinstance(value, Mapping)),
                    key=lambda item: (item[0][0], item[0][1] == OVERRIDE, item[0][1]))
    changes = []
    for (osd, option), value in parsed:
        before, ours = value.get("before"), value.get("set")
        if not same_value(own_value(entries, osd, option), ours):
            continue
        who = f"osd.{osd}"
        if before is None:
            changes.append(Change("config rm", {"who": who, "name": option},
                                  f"{who} {option} removed (none before)"))
        else:
            changes.append(Change("config set", {"who": who, "name": option,
                                                 "value": str(before)},
                                  f"{who} {option} {before} (as before)"))
    return changes


def _parse_key(key: str) -> tuple[int, str] | None:
    who, _, option = key.removeprefix(f"{LEDGER_PREFIX}:").partition(":")
    number = who.removeprefix("osd.")
    if not key.startswith(f"{LEDGER_PREFIX}:osd.") or not number.isdigit() or not option:
        return None
    return int(number), option


def osd_ranges(osds: Iterable[int]) -> str:
    """OSD ids as ranges: osd.0-5, osd.8, osd.10-11."""
    ids = sorted(set(osds))
    runs: list[list[int]] = []
    for osd in ids:
        if runs and osd == runs[-1][-1] + 1:
            runs[-1].append(osd)
        else:
            runs.append([osd])
    return ", ".join(f"osd.{r[0]}" if len(r) == 1 else f"osd.{r[0]}-{r[-1]}" for r in runs)
