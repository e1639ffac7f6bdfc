"""`cephmaint demo`: replace node2 by the spare on a fresh sandbox, end to end, and prove it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.names import TaskName
from ceph_tasks.settings import Settings
from cephmaint.command import command, pass_session, shared_options
from cephmaint.commands.workers import WORKER_APP
from cephmaint.errors import SandboxError
from cephmaint.follow import Snapshot, follow
from cephmaint.sandbox.layout import SPARE_HOST
from cephmaint.sandbox.procs import terminate
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.session import Session
from cephmaint.web.accounts import Account, Role, write_accounts
from cephmaint.web.passwords import hash_password
from dyrygent.states import NodeState, WorkflowState
from workflows.builders import Timing
from workflows.confirming import confirm
from workflows.planning import Kind, plan_maintenance, target_cluster
from workflows.snapshot import read_cluster_state
from workflows.submission import submit

#: The demo waits at most this long for the whole replacement.
DEMO_TIMEOUT = 900.0
#: Short waits: the sandbox moves a few MB in seconds.
DEMO_TIMING = Timing(drain=600, healthy=300, health_interval=2, technician=600,
                     technician_interval=2, downtime=3600)
OLD_HOST = "node2"


def say(text: str) -> None:
    """A headline of the demo."""
    click.echo(f"\n\033[1m==> {text}\033[0m")


@command("demo")
@click.option("--name", default="demo", show_default=True, help="The sandbox's name.")
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="Folder holding sandboxes [env CEPHMAINT_SANDBOX_HOME].")
@click.option("--down", is_flag=True, help="Remove the sandbox at the end.")
@click.option("--serve", "serve_port", type=click.IntRange(1, 65535), default=None,
              is_flag=False, flag_value=8080, metavar="[PORT]",
              help="Serve the operators' page on 127.0.0.1:PORT (8080) during the demo, "
                   "with an operator and a technician whose passwords are printed; it stays "
                   "up after the demo until Ctrl-C.")
@shared_options
@pass_session
def demo_command(session: Session, name: str, home: Path | None, down: bool,
                 serve_port: int | None) -> int:
    """Replace node2 by the spare host on a fresh sandbox, end to end, and check every object.

    \b
    Examples:
      cephmaint demo --down
      cephmaint demo --serve
    """
    settings = session.settings if home is None else session.settings.model_copy(
        update={"sandbox_home": home})
    box = Sandbox.named(name, settings)
    started = time.monotonic()
    if box.exists:
        say(f"Removing the previous demo sandbox at {box.root}")
        box.down()
    say(f"Bringing up a fresh sandbox: 1 mon, 1 mgr, node0-2 with 2 OSDs each, "
        f"spare {SPARE_HOST}")
    click.echo(box.up(timeout=180).render())
    layout = box.layout()
    # The demo's audit trail stays with its sandbox: `cephmaint audit` there reads it.
    demo = Session(Settings(broker_url=layout.redis_url, redis_url=layout.redis_url,
                            inventory_path=layout.inventory_path,
                            state_home=layout.root / "state"), session.console)
    with _worker(demo.settings, layout.root / "demo-worker.log"), \
            _page(demo.settings, layout.root, serve_port) as page:
        ok = _replace(demo)
        say("Checking every object of the data pool against its recorded checksum")
        click.echo(f"all {box.verify()} objects intact")
        _summary(box, demo)
        click.echo(f"\ndemo finished in {time.monotonic() - started:.0f} s")
        if page is not None:
            click.echo(f"the page stays up at {page}: Ctrl-C to stop it")
            _until_interrupted()
    if down:
        box.down()
    else:
        click.echo(f"the sandbox stays up: cephmaint sandbox --name {name} status | down")
    return 0 if ok else 1


@contextmanager
def _worker(settings: Settings, log: Path) -> Iterator[None]:
    say(f"Starting a Celery worker with every task and the workflow processor (log {log})")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", WORKER_APP, "worker", "-c", "2",
         "-n", "demo@%h", "--without-gossip", "--without-mingle", "-l", "info",
         "--logfile", str(log)],
        env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SandboxError(f"the demo worker did not start; see {log}")
            time.sleep(0.2)
        yield
    finally:
        terminate(proc.pid, timeout=20)


def _env(settings: Settings) -> dict[str, str]:
    """What a process of the demo (its worker, its page) needs to find its state."""
    return {**os.environ, "CEPHMAINT_BROKER_URL": settings.broker_url,
            "CEPHMAINT_REDIS_URL": settings.redis_url,
            "CEPHMAINT_INVENTORY": str(settings.inventory_path),
            "CEPHMAINT_STATE_HOME": str(settings.state_home)}


@contextmanager
def _page(settings: Settings, root: Path, port: int | None) -> Iterator[str | None]:
    """`cephmaint serve` on the demo's state, with two users made for it; its URL."""
    if port is None:
        yield None
        return
    users, url = root / "demo-users.yaml", f"http://127.0.0.1:{port}"
    passwords = {"operator": secrets.token_urlsafe(12), "technician": secrets.token_urlsafe(12)}
    write_accounts(users, [Account(n, Role(n), hash_password(p)) for n, p in passwords.items()])
    log = root / "demo-serve.log"
    env = {**_env(settings), "CEPHMAINT_USERS": str(users), "CEPHMAINT_PUBLIC_URL": url}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cephmaint.cli", "serve", "--port",
                                 str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SandboxError(f"the page did not come up on port {port}; see {log}")
            time.sleep(0.2)
        say(f"The operators' page is up: {url} (log {log})")
        for user, password in passwords.items():
            click.echo(f"   sign in as {user} with password {password}")
        yield url
    finally:
        terminate(proc.pid, timeout=20)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/login", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _until_interrupted() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("")


def _replace(session: Session) -> bool:
    say(f"Planning: replace {OLD_HOST}, with {SPARE_HOST} as the new hardware "
        "(nothing changes yet)")
    cluster = target_cluster(Kind.REPLACE, OLD_HOST, session.inventory())
    plan = plan_maintenance(Kind.REPLACE, OLD_HOST, cluster=cluster,
                            state=read_cluster_state(cluster), new_host=SPARE_HOST,
                            timing=DEMO_TIMING)
    click.echo(plan.render())
    say(f"Running workflow {plan.reference}")
    handle = submit(plan, session.app)
    confirmed: set[str] = set()

    def technician(snapshot: Snapshot) -> None:
        # The demo plays the technician: it confirms as soon as the gate waits.
        for step in snapshot.steps:
            if (step.task == TaskName.WAIT_FOR_TECHNICIAN and step.state == NodeState.RUNNING
                    and step.id not in confirmed):
                confirmed.add(step.id)
                click.echo(f"   (a technician confirms the hardware swap: cephmaint confirm "
                           f"{plan.reference}; the demo does it for you)")
                confirm(session.app, session.ledger, plan.reference, (),
                        who="demo-technician", host=None, now=datetime.now(UTC))

    last = follow(lambda: session.snapshot(handle), session.console, interval=1.0,
                  timeout=DEMO_TIMEOUT, on_snapshot=technician)
    if not last.status.state.finished:
        click.echo(f"still {last.status.state} after {DEMO_TIMEOUT:.0f} s: giving up")
    return last.status.state == WorkflowState.SUCCESS


def _summary(box: Sandbox, session: Session) -> None:
    say("The cluster now")
    report = box.status()
    click.echo(f"health {report.health}; OSDs {report.osds_up} up, {report.osds_in} in; "
               f"PGs {', '.join(f'{n} {s}' for s, n in report.pgs.items())}")
    cluster = session.inventory().cluster(box.layout().name)
    client = RadosClient.for_cluster(cluster)
    try:
        ceph = Ceph(client)
        tree, df = ceph.osd_tree(), ceph.osd_df()
    finally:
        client.close()
    for host, osds in sorted(tree.hosts().items()):
        pgs = sum(u.pgs for u in df.nodes if u.id in osds)
        click.echo(f"  {host}: {', '.join(f'osd.{i}' for i in sorted(osds))}  ({pgs} PGs)")


COMMANDS = (demo_command,)
