"""`cephmaint worker` runs a Celery worker; `cephmaint completion SHELL` prints completion."""

from __future__ import annotations

import os
import sys

import click
from click.shell_completion import get_completion_class

from cephmaint.command import command, pass_session, shared_options
from cephmaint.session import Session

#: The Celery app a worker loads (settings read from the environment when it starts).
WORKER_APP = "cephmaint.worker:app"


@command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", "-c", type=click.IntRange(min=1), default=4, show_default=True,
              help="Tasks run at once.")
@click.option("--loglevel", "-l", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False))
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              help="Serve this worker's metrics for Prometheus on this port "
                   "(CEPHMAINT_METRICS_PORT; on CEPHMAINT_METRICS_ADDRESS, 127.0.0.1).")
@click.option("--beat", "watch_seconds", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Also run `cephmaint watch` every SECONDS, on this worker's beat (Celery "
                   "-B): start one such worker for the whole fleet.")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@shared_options
@pass_session
def worker_command(session: Session, concurrency: int, loglevel: str,
                   metrics_port: int | None, watch_seconds: float | None,
                   celery_args: tuple[str, ...]) -> int:
    """A Celery worker running every maintenance task and the workflow processor.

    More `celery worker` options go after the ones above.

    \b
    Example:
      cephmaint worker -c 4 -- -n admin1@%h
    """
    settings = session.settings
    env = {**os.environ, "CEPHMAINT_BROKER_URL": settings.broker_url,
           "CEPHMAINT_REDIS_URL": settings.redis_url}
    if settings.inventory_path is not None:
        env["CEPHMAINT_INVENTORY"] = str(settings.inventory_path)
    if metrics_port is not None:
        env["CEPHMAINT_METRICS_PORT"] = str(metrics_port)
    beat: list[str] = []
    if watch_seconds is not None:
        env["CEPHMAINT_WATCH_SECONDS"] = str(watch_seconds)
        # Celery beat keeps its schedule's last runs in a file: under the state home.
        schedule = settings.state_home.expanduser() / "beat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        beat = ["-B", "-s", str(schedule)]
    argv = [sys.executable, "-m", "celery", "-A", WORKER_APP, "worker",
            "-c", str(concurrency), "-l", loglevel, *beat,
            *(a for a in celery_args if a != "--")]
    os.execve(sys.executable, argv, env)
    return 0  # pragma: no cover - execve does not return


@command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> int:
    """Print the shell completion script of cephmaint.

    \b
    Example:
      eval "$(cephmaint completion bash)"
    """
    completion = get_completion_class(shell)
    if completion is None:  # pragma: no cover - the choices above all exist
        raise click.BadParameter(f"no completion for {shell}")
    root = click.get_current_context().find_root().command
    click.echo(completion(root, {}, "cephmaint", "_CEPHMAINT_COMPLETE").source())
    return 0


COMMANDS = (worker_command, completion_command)
