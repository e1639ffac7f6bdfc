"""Whether clients feel the cluster too much for another weight step (pure).

Three readings, each optional by the inventory: the SLOW_OPS health check, the commit and
apply latency `osd perf` reports per OSD, and a Prometheus query's largest value. Any one
over its limit holds the next weight step; the reason names what and how much.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ceph_tasks.ceph.models import Health, HealthCheck, OsdPerf
from inventory.settings import ClientImpact

SLOW_OPS = "SLOW_OPS"

# "6 slow ops, oldest one blocked for 42 sec, daemons [osd.1,osd.3,osd.4] have slow ops."
# or "..., osd.4 has slow ops": Pacific's summary names the daemons and the oldest age.
_DAEMON = re.compile(r"\b((?:osd|mon)\.[0-9A-Za-z_-]+)")
_AGE = re.compile(r"blocked for (\d+(?:\.\d+)?) sec")


@dataclass(frozen=True)
class QueryReading:
    """What a Prometheus query gave: its largest value, or why it could not be read."""

    query: str
    #: The largest sample; None when the answer held no series (nothing to complain about).
    value: float | None = None
    #: Set when Prometheus could not be asked or answered nonsense.
    error: str | None = None


def hold_reason(health: Health, perf: OsdPerf | None, limits: ClientImpact,
                query: QueryReading | None = None) -> str | None:
    """Why the next weight step should wait for clients, or None when they are fine.

    A muted SLOW_OPS still holds: a mute quiets the alert, clients still wait on the ops;
    `hold_on_slow_ops: false` is the inventory's way to go on regardless.
    """
    reasons = [
        reason
        for reason in (
            _slow_ops(health, limits),
            _latency(perf, limits),
            _query(query, limits),
        )
        if reason is not None
    ]
    return "; ".join(reasons) if reasons else None


def slow_ops_text(check: HealthCheck) -> str:
    """'slow ops on osd.1, osd.4 for 42 s' from a SLOW_OPS check (its summary if unusual)."""
    texts = (check.summary.message, *check.detail)
    daemons = sorted({m for text in texts for m in _DAEMON.findall(text)}, key=_daemon_order)
    ages = [float(m) for text in texts for m in _AGE.findall(text)]
    if daemons:
        said = f"slow ops on {', '.join(daemons)}"
        said += f" for {max(ages):g} s" if ages else ""
    else:
        said = f"slow ops: {check.summary.message or 'SLOW_OPS raised'}"
    return said + (" (muted)" if check.muted else "")


def _slow_ops(health: Health, limits: ClientImpact) -> str | None:
    check = health.checks.get(SLOW_OPS)
    if not limits.hold_on_slow_ops or check is None:
        return None
    return slow_ops_text(check)


def _latency(perf: OsdPerf | None, limits: ClientImpact) -> str | None:
    if perf is None:
        return None
    over = [
        (value, osd.id, kind)
        for osd in perf.osds
        for kind, value in (("commit", osd.commit_latency_ms), ("apply", osd.apply_latency_ms))
        if value > limits.max_osd_latency_ms
    ]
    if not over:
        return None
    # The worst one is named; the others are counted, so the line stays short.
    value, osd, kind = max(over, key=lambda item: (item[0], -item[1]))
    others = len({o for _, o, _ in over} - {osd})
    said = f"osd.{osd} {kind} latency {value:g} ms over {limits.max_osd_latency_ms:g} ms"
    return said + (f" (and {others} more OSD(s))" if others else "")


def _query(query: QueryReading | None, limits: ClientImpact) -> str | None:
    check = limits.prometheus
    if query is None or check is None:
        return None
    if query.error is not None:
        # Not knowing what clients feel is no reason to believe they are fine.
        return f"prometheus {query.query} unreadable: {query.error}"
    if query.value is not None and query.value > check.threshold:
        return f"prometheus {query.query} = {query.value:g} over {check.threshold:g}"
    return None


def _daemon_order(name: str) -> tuple[str, int, str]:
    kind, _, ident = name.partition(".")
    return (kind, int(ident) if ident.isdigit() else -1, ident)
