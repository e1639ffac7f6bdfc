"""What a plan says of the Ceph releases its cluster runs (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models import Versions


def release_notes(versions: Versions | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plan's notes and warnings about the releases the daemons run.

    One release: a note naming it. Several: a warning, for an upgrade is under way, and the
    OSDs' options and behaviour are those of the oldest release among them until it ends.
    """
    if versions is None or not versions.kinds:
        return (), ()
    by_kind = versions.releases()
    if not versions.mixed:
        [release] = {r for found in by_kind.values() for r in found}
        numbers = sorted({v.version for found in versions.kinds.values() for v in found})
        return (f"Ceph {release} ({', '.join(numbers)}) on every daemon",), ()
    said = "; ".join(f"{kind}: {', '.join(str(r) for r in sorted(found))}"
                     for kind, found in sorted(by_kind.items()))
    return (), (f"the daemons run more than one Ceph release ({said}): an upgrade is under "
                "way; finish it before moving data, or expect the oldest OSDs' behaviour",)
