"""Pure formatting of the results: the Markdown table and the targets with PASS/FAIL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK = "ok"
OVER_CAP = "over cap"
NOT_APPLICABLE = "n/a"
KB = 1024
MB = 1024 * 1024
REDIS_TARGET_MIN_NODES = 1_000  # below this, fixed costs (connections, scripts) dominate


@dataclass
class Result:
    """One (case, engine) run as the harness saw it."""

    case: str
    title: str
    engine: str
    nodes: int
    status: str
    cap: float = 0.0
    wall_s: float | None = None
    build_s: float | None = None
    submit_s: float | None = None
    client_peak_bytes: int | None = None
    max_message_bytes: int | None = None
    redis_peak_bytes: int | None = None
    redis_end_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def per_node(self, total: int | None) -> float | None:
        """Bytes per workflow node."""
        return None if total is None or not self.nodes else total / self.nodes


def human_bytes(value: float | None) -> str:
    """1234 -> '1.2 KB'."""
    if value is None:
        return "—"
    if value >= MB:
        return f"{value / MB:.1f} MB"
    if value >= KB:
        return f"{value / KB:.1f} KB"
    return f"{value:.0f} B"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _wall(result: Result) -> str:
    if result.status == OK:
        return _seconds(result.wall_s)
    if result.status == OVER_CAP:
        ran = result.extra.get("tasks_run")
        progress = f" ({ran:,} of {result.nodes:,} ran)" if ran is not None else ""
        return f"> {result.cap:.0f} s{progress}"
    if result.status == NOT_APPLICABLE:
        return NOT_APPLICABLE
    return f"failed ({result.status})"


def table(results: list[Result]) -> str:
    """The Markdown table, one row per (case, engine)."""
    head = (
        "| case | engine | nodes | wall | build | submit | client peak | largest message "
        "| Redis peak / node | Redis keys / node |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in results:
        measured = r.status not in (NOT_APPLICABLE,)
        cells = [
            r.title,
            r.engine,
            f"{r.nodes:,}",
            _wall(r),
            _seconds(r.build_s) if measured else "",
            _seconds(r.submit_s) if measured else "",
            human_bytes(r.client_peak_bytes) if measured else "",
            human_bytes(r.max_message_bytes) if measured else "",
            human_bytes(r.per_node(r.redis_peak_bytes)) if measured else "",
            human_bytes(r.per_node(r.redis_end_bytes)) if measured else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _find(results: list[Result], case: str, engine: str) -> Result | None:
    return next((r for r in results if r.case == case and r.engine == engine), None)


def _ratio_line(label: str, ours: Result | None, ref: Result | None, limit: float) -> str:
    if ours is None or ref is None:
        return f"- {label}: not run"
    if ours.status != OK:
        return f"- {label}: FAIL (dyrygent {_wall(ours)})"
    if ref.status != OK or not ref.wall_s or ours.wall_s is None:
        return f"- {label}: ? (reference {_wall(ref)})"
    ratio = ours.wall_s / ref.wall_s
    verdict = "PASS" if ratio <= limit else "FAIL"
    return f"- {label}: {ratio:.2f}x (limit {limit}x) {verdict}"


def _limit_line(label: str, value: float | None, limit: float, show: str) -> str:
    if value is None:
        return f"- {label}: not measured"
    verdict = "PASS" if value <= limit else "FAIL"
    return f"- {label}: {show} {verdict}"


def targets(results: list[Result], ours: str = "dyrygent", floor: str = "none") -> str:
    """The issue's targets, as ratios and limits from this run."""
    lines = [
        _ratio_line("chain: dyrygent / Celery canvas", _find(results, "chain", ours),
                    _find(results, "chain", "canvas"), 1.5),
        _ratio_line("chain of chords: dyrygent / independent tasks",
                    _find(results, "chords", ours), _find(results, "floor", floor), 1.5),
        _ratio_line("random DAG: dyrygent / independent tasks", _find(results, "dag", ours),
                    _find(results, "floor", floor), 1.5),
    ]
    big = _find(results, "chords", ours)
    if big is None or big.build_s is None or big.submit_s is None:
        lines.append("- client build + submit of the chain of chords: not measured")
    else:
        spent = big.build_s + big.submit_s
        detail = f"{spent:.2f} s (build {big.build_s:.2f} + submit {big.submit_s:.2f}; limit 1 s)"
        lines.append(_limit_line(f"client build + submit of {big.nodes:,} nodes", spent, 1.0,
                                 detail))
        lines.append(_limit_line(f"client peak memory for {big.nodes:,} nodes",
                                 big.client_peak_bytes, 50 * MB,
                                 f"{human_bytes(big.client_peak_bytes)} (limit 50 MB)"))
    mine = [r for r in results if r.engine == ours and r.status == OK]
    biggest = max((r.max_message_bytes or 0 for r in mine), default=None)
    lines.append(_limit_line("largest dyrygent message, any case", biggest if mine else None,
                             4 * KB, f"{human_bytes(biggest)} (limit 4 KB)"))
    sized = [r for r in mine if r.nodes >= REDIS_TARGET_MIN_NODES]
    per_node = max((r.per_node(r.redis_end_bytes) or 0 for r in sized), default=None)
    lines.append(_limit_line(
        f"Redis keys per node, dyrygent cases of {REDIS_TARGET_MIN_NODES:,}+ nodes",
        per_node if sized else None, 2 * KB, f"{human_bytes(per_node)} (limit 2 KB)"))
    huge = _find(results, "huge", ours)
    if huge is not None:
        verdict = "PASS" if huge.status == OK else "FAIL"
        lines.append(f"- {huge.nodes:,}-node workflow completes: {_wall(huge)} {verdict}")
    return "\n".join(lines)
