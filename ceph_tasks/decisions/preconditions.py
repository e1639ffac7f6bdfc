"""Safety verdicts before a maintenance changes anything (pure).

Each function reads parsed cluster answers and returns why a step is not safe, or nothing
when it is. They never decide "probably fine": a missing answer is a reason to refuse.
"""

from __future__ import annotations

from collections.abc import Iterable

from ceph_tasks.ceph.models import CrushRule, OkToStop, OsdTree, Pool, SafeToDestroy, Status
from ceph_tasks.decisions.failed_osd import recovery_problems
from ceph_tasks.decisions.failure_domains import removal_shortfalls
from ceph_tasks.decisions.health_gate import Baseline, assess
from ceph_tasks.decisions.removal_plan import host_osds

#: How many PG ids a reason quotes before it says "and N more".
QUOTED_PGS = 8


def start_problems(status: Status, allowed: Iterable[str] = (), failed: int = 0
                   ) -> tuple[str, ...]:
    """Why a maintenance must not start: PGs not clean, objects not where they belong, or a
    check about data availability. Other checks raised now are the maintenance's baseline:
    they block later only if they get worse. A maintenance of `failed` failed OSDs starts
    while their data recovers (failed_osd.recovery_problems)."""
    if failed:
        return recovery_problems(status, failed, frozenset(allowed))
    return assess(status, allowed=allowed, baseline=Baseline.of(status)).reasons


def removal_problems(tree: OsdTree, pools: Iterable[Pool], rules: Iterable[CrushRule],
                     hosts: Iterable[str]) -> list[str]:
    """Why removing these hosts would leave a pool short of failure domains (one line each)."""
    removed = [n.id for host in hosts for n in host_osds(tree, host)]
    return [s.describe() for s in removal_shortfalls(tree, pools, rules, removed)]


def ok_to_stop_problem(answer: OkToStop, osd_ids: Iterable[int]) -> str | None:
    """Why stopping these OSDs would make PGs unavailable (None when Ceph says it is ok).

    Ceph answers EBUSY with JSON when PGs would go inactive, and EAGAIN while some PG state is
    unknown (right after a map change): both arrive here as ok_to_stop false with the
    cluster's message, and both mean "not now".
    """
    ids = sorted(set(osd_ids))
    if not ids or answer.ok_to_stop:
        return None
    parts = [f"stopping {_osds(ids)} is not ok"]
    if answer.bad_become_inactive:
        parts.append(f"PGs would become inactive: {_pgs(answer.bad_become_inactive)}")
    if answer.reason:
        parts.append(f"ceph says: {answer.reason}")
    return "; ".join(parts)


def safe_to_destroy_problem(answer: SafeToDestroy, osd_ids: Iterable[int]) -> str | None:
    """Why destroying these OSDs could lose data (None when Ceph lists every one as safe).

    `osd safe-to-destroy` exits 0 even when some are unsafe: only its safe_to_destroy list
    counts, and the other lists say why the rest are not safe.
    """
    ids = sorted(set(osd_ids))
    unsafe = [i for i in ids if i not in answer.safe_to_destroy]
    if not unsafe:
        return None
    why: list[str] = []
    for ids_in, meaning in (
        (answer.active, "still hold PGs (acting or up)"),
        (answer.stored_pgs, "still store PG data"),
        (answer.missing_stats, "have no PG statistics (down while PGs are not all "
                               "active+clean, or not reported yet)"),
    ):
        listed = [i for i in unsafe if i in ids_in]
        if listed:
            why.append(f"{_osds(listed)} {meaning}")
    explained = {i for i in unsafe if i in (*answer.active, *answer.stored_pgs,
                                            *answer.missing_stats)}
    rest = [i for i in unsafe if i not in explained]
    if rest:
        why.append(f"{_osds(rest)} not listed as safe")
    if answer.reason:
        why.append(f"ceph says: {answer.reason}")
    return f"not safe to destroy {_osds(unsafe)}: " + "; ".join(why)


def _osds(ids: Iterable[int]) -> str:
    return ", ".join(f"osd.{i}" for i in sorted(ids))


def _pgs(pgs: tuple[str, ...]) -> str:
    shown = ", ".join(pgs[:QUOTED_PGS])
    more = len(pgs) - QUOTED_PGS
    return f"{shown} and {more} more" if more > 0 else shown
