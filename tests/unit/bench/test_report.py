"""The benchmark's table and target verdicts."""

from __future__ import annotations

from bench.report import KB, OK, OVER_CAP, Result, human_bytes, table, targets


def _ok(case: str, engine: str, wall: float, nodes: int = 10_000, **kw: float) -> Result:
    return Result(case, case, engine, nodes, OK, cap=300, wall_s=wall, build_s=0.1,
                  submit_s=0.2, client_peak_bytes=10 * 2**20, max_message_bytes=900,
                  redis_peak_bytes=0, redis_end_bytes=nodes * KB, **kw)


def test_human_bytes() -> None:
    assert human_bytes(None) == "—"
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(3 * 2**20) == "3.0 MB"


def test_table_reports_caps_and_not_applicable() -> None:
    capped = Result("chain", "chain of 200", "celery-dyrygent", 200, OVER_CAP, cap=60)
    absent = Result("dag", "random DAG", "canvas", 10_000, "n/a")
    text = table([capped, absent])
    assert "> 60 s" in text
    assert "| random DAG | canvas | 10,000 | n/a |" in text


def test_targets_pass_and_fail() -> None:
    results = [
        _ok("chain", "canvas", 1.0, nodes=200),
        _ok("chain", "dyrygent", 2.0, nodes=200),
        _ok("floor", "none", 10.0),
        _ok("chords", "dyrygent", 12.0, nodes=10_102),
        _ok("dag", "dyrygent", 14.0),
    ]
    text = targets(results)
    assert "chain: dyrygent / Celery canvas: 2.00x (limit 1.5x) FAIL" in text
    assert "independent tasks: 1.20x (limit 1.5x) PASS" in text
    assert "0.30 s (build 0.10 + submit 0.20; limit 1 s) PASS" in text
    assert "Redis keys per node, dyrygent cases of 1,000+ nodes: 1.0 KB (limit 2 KB) PASS" in text


def test_capped_engine_fails_its_ratio() -> None:
    results = [_ok("chain", "canvas", 1.0), Result("chain", "c", "dyrygent", 200, OVER_CAP)]
    assert "FAIL (dyrygent > 0 s)" in targets(results)


def test_over_cap_row_says_how_far_it_got() -> None:
    capped = Result("chords", "chords", "canvas", 10_102, OVER_CAP, cap=300,
                    extra={"tasks_run": 3_400})
    assert "> 300 s (3,400 of 10,102 ran)" in table([capped])
