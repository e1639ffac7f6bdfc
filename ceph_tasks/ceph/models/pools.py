"""The answers of `osd pool ls detail` and `osd crush rule dump` (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models.common import CephModel

#: Pool type numbers in the osdmap.
REPLICATED, ERASURE = 1, 3


class Pool(CephModel):
    """A pool's replication and the CRUSH rule placing it."""

    pool_id: int
    pool_name: str
    type: int = REPLICATED
    size: int
    min_size: int
    crush_rule: int
    pg_num: int = 0
    #: The erasure-code profile of an erasure-coded pool ("" for a replicated one).
    erasure_code_profile: str = ""
    #: Where a split or merge is heading; equal to pg_num when none is under way.
    pg_num_target: int | None = None
    pg_placement_num: int | None = None
    pg_placement_num_target: int | None = None
    pg_autoscale_mode: str = "off"

    def resizing(self) -> str | None:
        """What a PG split or merge still has to do ("pg_num 32 -> 64"); None when done."""
        moves = [(name, now, target) for name, now, target in (
            ("pg_num", self.pg_num, self.pg_num_target),
            ("pgp_num", self.pg_placement_num, self.pg_placement_num_target))
            if now is not None and target is not None and now != target]
        return ", ".join(f"{n} {now} -> {t}" for n, now, t in moves) or None


class CrushStep(CephModel):
    """One step of a CRUSH rule (take, choose*, chooseleaf*, emit)."""

    op: str
    num: int | None = None
    type: str | None = None
    item: int | None = None
    item_name: str | None = None


class CrushRule(CephModel):
    """A CRUSH rule and its steps."""

    rule_id: int
    rule_name: str
    type: int = REPLICATED
    steps: tuple[CrushStep, ...] = ()

    @property
    def failure_domain(self) -> str | None:
        """The bucket type copies are spread over: the type of the last choose step."""
        chosen = [s.type for s in self.steps if s.op.startswith("choose") and s.type]
        return chosen[-1] if chosen else None
