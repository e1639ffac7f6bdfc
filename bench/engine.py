"""`python -m bench.engine`: dyrygent against Celery canvas and celery-dyrygent, in one run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import redis

from bench.measure import MemorySampler, keys_bytes, kill_group, used_memory
from bench.peers import ENGINES, FLOOR_ENGINE, supports
from bench.report import NOT_APPLICABLE, OK, OVER_CAP, Result, table, targets
from bench.shapes import Case, cases
from bench.tasks import DONE_KEY, MAX_MSG_KEY, READY_KEY

REDIS_BINARY = "/usr/bin/redis-server"
WORKER_START_SECONDS = 60
_children: list[subprocess.Popen[bytes]] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a child in its own session so that it and its children can be killed as one."""
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    _children.append(proc)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    kill_group(proc)
    with contextlib.suppress(ValueError):
        _children.remove(proc)


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port, no persistence; yields its URL."""
    port = _free_port()
    proc = _spawn([REDIS_BINARY, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(workdir)], dict(os.environ),
                  workdir / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start, see {workdir}/redis.log") from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        _stop(proc)


def _start_worker(env: dict[str, str], log: Path,
                  store: redis.Redis[bytes]) -> subprocess.Popen[bytes]:
    """A fresh prefork worker with the same settings for every engine; waits until it consumes."""
    proc = _spawn([sys.executable, "-m", "celery", "-A", "bench.tasks", "worker", "--pool",
                   "prefork", "--concurrency", "2", "--loglevel", "WARNING", "--without-gossip",
                   "--without-mingle", "--without-heartbeat", "--hostname", "bench@%h"],
                  env, log)
    deadline = time.monotonic() + WORKER_START_SECONDS
    while not store.exists(READY_KEY):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError(f"celery worker did not start, see {log}")
        time.sleep(0.05)
    return proc


def run_one(case: Case, engine: str, opts: argparse.Namespace, env: dict[str, str],
            workdir: Path) -> Result:
    """One (case, engine) run: fresh Redis data, fresh worker, one client process."""
    cap = opts.huge_cap if case.name == "huge" else opts.cap
    result = Result(case.name, case.title, engine, case.nodes, NOT_APPLICABLE, cap=cap)
    if not supports(engine, case):
        return result
    store = redis.Redis.from_url(env["BENCH_REDIS_URL"])
    store.flushall()
    log = workdir / f"{case.name}-{engine}.log"
    worker = _start_worker(env, log, store)
    try:
        baseline = used_memory(store)
        baseline_keys = keys_bytes(store)
        out = workdir / f"{case.name}-{engine}.json"
        args = [sys.executable, "-m", "bench.client", engine, case.name, "--out", str(out)]
        args += ["--quick"] * opts.quick + ["--huge"] * opts.huge
        with MemorySampler(store) as sampler:
            client = _spawn(args, env, log)
            try:
                client.wait(timeout=cap)
            except subprocess.TimeoutExpired:
                result.status = OVER_CAP
            _stop(client)
        result.max_message_bytes = int(store.get(MAX_MSG_KEY) or 0)
        result.extra["tasks_run"] = int(store.get(DONE_KEY) or 0)
        # Before the worker goes: whatever the engine keeps once the run is over (or capped).
        result.redis_end_bytes = keys_bytes(store) - baseline_keys
    finally:
        _stop(worker)
    crashed = {"status": f"crashed, see {log}"}
    measured: dict[str, Any] = json.loads(out.read_text()) if out.exists() else crashed
    status = measured.pop("status")
    if result.status != OVER_CAP:
        result.status = status
    for key in ("wall_s", "build_s", "submit_s", "client_peak_bytes"):
        setattr(result, key, measured.pop(key, None))
    # The client's own baseline leaves its connections out; the harness's is the fallback.
    before = measured.pop("redis_before", baseline)
    result.redis_peak_bytes = sampler.peak - before
    measured.pop("nodes", None)
    result.extra.update(measured)
    return result


def _plan(opts: argparse.Namespace) -> list[tuple[Case, str]]:
    only = set(opts.only.split(",")) if opts.only else None
    engines = opts.engines.split(",") if opts.engines else list(ENGINES)
    plan: list[tuple[Case, str]] = []
    for case in cases(opts.quick, opts.huge):
        if only is not None and case.name not in only:
            continue
        if case.kind == "floor":
            plan.append((case, FLOOR_ENGINE))
            continue
        # The 100,000-node case is the engine's own target; the peers would only hit the cap.
        chosen = ["dyrygent"] if case.name == "huge" else engines
        plan.extend((case, engine) for engine in chosen)
    return plan


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per run (default 300)")
    parser.add_argument("--only", help="comma-separated cases: chain, chord, chords-small, "
                        "chords, dag, floor, huge")
    parser.add_argument("--engines", help=f"comma-separated, from {', '.join(ENGINES)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--huge", action="store_true", help="add a 100,000-node DAG (dyrygent)")
    parser.add_argument("--huge-cap", type=float, default=1200.0,
                        help="seconds for the --huge run (default 1200)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    return parser.parse_args(argv)


def _revision(repo: str) -> str:
    """The commit measured, flagged when the engine's files differ from it."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "dyrygent")
    return f"{head} (dyrygent/ has uncommitted changes)" if dirty else head


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Run the plan and print the Markdown table and the targets."""
    opts = _parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    repo = str(Path(__file__).resolve().parent.parent)
    interrupted = False
    try:
        with redis_server(workdir) as url:
            env = dict(os.environ, BENCH_REDIS_URL=url, PYTHONPATH=repo)
            for case, engine in _plan(opts):
                result = run_one(case, engine, opts, env, workdir)
                results.append(result)
                print(f"{case.title} / {engine}: {result.status} {result.wall_s or ''}",
                      file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        interrupted = True  # still print what was measured
    finally:
        for proc in list(_children):
            _stop(proc)
    # Logs are kept only when something needs reading.
    if all(r.status in (OK, NOT_APPLICABLE) for r in results) and not interrupted:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs: {workdir}", file=sys.stderr)
    if interrupted:
        print("\ninterrupted: the table holds the runs that finished", file=sys.stderr)
    size = "quick sizes" if opts.quick else "full sizes"
    print(f"\nRedis broker + backend, prefork worker x2, cap {opts.cap:.0f} s, {size}, "
          f"{os.cpu_count()} CPUs, revision {_revision(repo)}\n")
    print(table(results))
    print("\nTargets (ratios from this run):\n")
    print(targets(results))
    if opts.json:
        opts.json.write_text(json.dumps({"cap": opts.cap, "quick": opts.quick,
                                         "results": [asdict(r) for r in results]}, indent=2))


if __name__ == "__main__":
    main()
