"""The answer of `versions`: the Ceph release each kind of daemon runs (pure)."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel


class Release(IntEnum):
    """A Ceph major release, valued by its major version number (16 is Pacific)."""

    LUMINOUS = 12
    MIMIC = 13
    NAUTILUS = 14
    OCTOPUS = 15
    PACIFIC = 16
    QUINCY = 17
    REEF = 18
    SQUID = 19
    TENTACLE = 20

    @property
    def codename(self) -> str:
        """The release's name as Ceph prints it, e.g. "reef"."""
        return self.name.lower()

    def __str__(self) -> str:
        return self.codename


#: "ceph version 18.2.7 (6b0e98...) reef (stable)"; development builds print a version such
#: as "19.0.0-1234-gabcdef" or "Development" and "(dev)".
_VERSION = re.compile(r"^ceph version (?P<version>\S+) \((?P<sha>[^)]*)\) (?P<codename>\S+)")


class DaemonVersion(CephModel):
    """One version some daemons of a kind run, and how many of them run it."""

    #: The version line as the daemons report it.
    text: str
    #: "18.2.7" (or whatever a development build reports instead).
    version: str
    release: Release
    count: int = Field(ge=0)

    @classmethod
    def parse(cls, text: str, count: int) -> DaemonVersion:
        """Read one line of `versions`; ValueError when it names no release known here."""
        match = _VERSION.match(text.strip())
        if match is None:
            raise ValueError(f"not a Ceph version line: {text!r}")
        major = match["version"].partition(".")[0]
        codename = match["codename"].lower()
        if major.isdigit() and int(major) in Release._value2member_map_:
            release = Release(int(major))
        elif codename.upper() in Release.__members__:
            # A development build's version is no number; its release name is still there.
            release = Release[codename.upper()]
        else:
            # Branching on a release this code does not know would be a guess: say so.
            raise ValueError(f"a Ceph release not known here: {text!r}")
        return cls(text=text, version=match["version"], release=release, count=count)


class Versions(CephModel):
    """Which versions each kind of daemon (mon, mgr, osd, mds, rgw...) runs, and how many."""

    #: By daemon kind as `versions` names it; its "overall" total is left out.
    kinds: dict[str, tuple[DaemonVersion, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _by_kind(cls, data: Any) -> Any:
        # Ceph prints {"mon": {"<version line>": <count>, ...}, ..., "overall": {...}}.
        # Pacific lists "mds": {} on a cluster without MDS; Reef leaves the kind out: a kind
        # without daemons is left out here either way.
        if not isinstance(data, dict) or "kinds" in data:
            return data
        return {"kinds": {
            kind: [DaemonVersion.parse(text, count) for text, count in lines.items()]
            for kind, lines in data.items()
            if kind != "overall" and isinstance(lines, dict) and lines}}

    def releases(self) -> dict[str, frozenset[Release]]:
        """The releases each kind of daemon runs (more than one while an upgrade is on)."""
        return {kind: frozenset(v.release for v in found if v.count > 0)
                for kind, found in self.kinds.items()}

    def releases_of(self, kind: str) -> frozenset[Release]:
        """The releases the daemons of one kind run; empty when none reported."""
        return self.releases().get(kind, frozenset())

    @property
    def lowest_osd_release(self) -> Release | None:
        """The oldest release any OSD runs: what OSD-side behaviour follows; None if no OSD."""
        return min(self.releases_of("osd"), default=None)

    @property
    def lowest_release(self) -> Release | None:
        """The oldest release any daemon runs; None when no daemon reported."""
        return min((r for found in self.releases().values() for r in found), default=None)

    @property
    def mixed(self) -> bool:
        """True when the daemons run more than one release (an upgrade under way)."""
        return len({r for found in self.releases().values() for r in found}) > 1
