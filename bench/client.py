"""One benchmark run on the client side: build, submit, wait; writes a JSON result."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import time
import traceback
from pathlib import Path
from typing import Any

from bench.measure import peak_rss_bytes, reset_peak_rss, rss_bytes, used_memory
from bench.peers import runner
from bench.shapes import cases
from bench.tasks import DONE_KEY, app, noop, probe_redis

GRACE_SECONDS = 5.0  # how long the task counter may stand still once the engine says done


def _warm_up(engine: str) -> None:
    """Pay for imports and connections before anything is measured."""
    modules = {"celery-dyrygent": "celery_dyrygent.workflows", "dyrygent": "dyrygent.workflows"}
    if engine in modules:
        importlib.import_module(modules[engine])
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection()
    app.backend.client.ping()
    noop.si().freeze()
    probe_redis().ping()


def _wait(finished: Any, handle: Any, nodes: int) -> str:
    """Poll until the engine says done and every node ran; name what went wrong otherwise."""
    redis_client = probe_redis()
    last_done, last_progress = -1, time.monotonic()
    while True:
        done = int(redis_client.get(DONE_KEY) or 0)
        engine_done = finished(handle)
        if done > nodes:
            return f"ran {done} tasks for {nodes} nodes"
        if engine_done and done == nodes:
            return "ok"
        if done != last_done:
            last_done, last_progress = done, time.monotonic()
        elif engine_done and time.monotonic() - last_progress > GRACE_SECONDS:
            return f"engine done after {done} of {nodes} tasks"
        time.sleep(0.02)


def run(engine: str, case_name: str, quick: bool, huge: bool, out: Path) -> dict[str, Any]:
    """Run one case on one engine and return its measurements."""
    case = next(c for c in cases(quick, huge) if c.name == case_name)
    engine_runner = runner(engine)
    _warm_up(engine)
    gc.collect()
    # Taken here so that the client's own connections are not billed to the workflow.
    redis_before = used_memory(probe_redis())
    exact_peak = reset_peak_rss()
    rss_before = rss_bytes()
    started = time.perf_counter()
    built = engine_runner.build(case)
    built_at = time.perf_counter()
    handle = engine_runner.submit(built)
    submitted_at = time.perf_counter()
    peak = peak_rss_bytes() - rss_before if exact_peak else rss_bytes() - rss_before
    del built
    found: dict[str, Any] = {
        "status": "running",
        "nodes": case.nodes,
        "build_s": built_at - started,
        "submit_s": submitted_at - built_at,
        "client_peak_bytes": max(peak, 0),
        "peak_is_exact": exact_peak,
        "redis_before": redis_before,
    }
    # Written now too, so that a run stopped at the cap still reports its client side.
    out.write_text(json.dumps(found))
    found["status"] = _wait(engine_runner.finished, handle, case.nodes)
    found["wall_s"] = time.perf_counter() - started
    return found


def main() -> None:
    """Entry point of `python -m bench.client`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine")
    parser.add_argument("case")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--huge", action="store_true")
    args = parser.parse_args()
    try:
        result = run(args.engine, args.case, args.quick, args.huge, args.out)
    except Exception as exc:  # reported in the table rather than lost in a traceback
        traceback.print_exc()
        result = {"status": f"error: {type(exc).__name__}: {exc}"[:200]}
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
