"""`cephmaint sandbox up | status | verify | inventory | down`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cephmaint.command import Group, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.sandbox.release import SUITES, named
from cephmaint.sandbox.sandbox import Sandbox
from cephmaint.sandbox.topology import BUILT_IN, load_topology
from cephmaint.session import Session


@click.group("sandbox", cls=Group)
@click.option("--name", default="default", show_default=True, help="The sandbox's name.")
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="Folder holding sandboxes [env CEPHMAINT_SANDBOX_HOME; "
                   "default /tmp/cephmaint-sandbox].")
@shared_options
@click.pass_context
def sandbox_group(ctx: click.Context, name: str, home: Path | None) -> None:
    """A local throw-away Ceph cluster with SSH hosts and Redis.

    \b
    Example:
      cephmaint sandbox up && cephmaint sandbox status
    """
    ctx.meta["sandbox"] = (name, home)


def _box(session: Session) -> tuple[str, Sandbox]:
    name, home = click.get_current_context().meta["sandbox"]
    settings = session.settings
    if home is not None:
        settings = settings.model_copy(update={"sandbox_home": home})
    return name, Sandbox.named(name, settings)


@sandbox_group.command("up")
@click.option("--redis-url", "own_redis", default=None,
              help="Use this Redis instead of starting one.")
@click.option("--timeout", type=click.FloatRange(min=1), default=180.0, show_default=True,
              help="Seconds to wait for HEALTH_OK.")
@click.option("--topology", "shape", default=None, metavar="NAME|FILE",
              help=f"The cluster's shape: {', '.join(BUILT_IN)}, or a YAML file "
                   "[default: default]; a sandbox that exists keeps its own.")
@click.option("--release", type=click.Choice([r.codename for r in SUITES]), default=None,
              help="The Ceph release its daemons run [default: the host's packages]; "
                   "another release runs from a chroot built once into the sandbox cache.")
@pass_session
def up_command(session: Session, own_redis: str | None, timeout: float,
               shape: str | None, release: str | None) -> int:
    """Create or resume the sandbox; return once it is HEALTH_OK.

    \b
    Example:
      cephmaint sandbox --name lab up --topology racks
    """
    name, box = _box(session)
    topology = load_topology(shape if shape in BUILT_IN else Path(shape)) if shape else None
    if (topology is not None or release is not None) and box.exists:
        raise UsageError(f"sandbox {name} exists with its own topology and release: "
                         f"`cephmaint sandbox --name {name} down` first, or pick another --name")
    click.echo(f"==> bringing sandbox {name} up under {box.root}")
    started = time.monotonic()
    click.echo(box.up(redis_url=own_redis, timeout=timeout, topology=topology,
                      release=named(release) if release else None).render())
    click.echo(f"==> ready in {time.monotonic() - started:.1f} s")
    return 0


@sandbox_group.command("status")
@pass_session
def status_command(session: Session) -> int:
    """Health, OSDs, PGs and addresses of the sandbox."""
    click.echo(_box(session)[1].status().render())
    return 0


@sandbox_group.command("verify")
@pass_session
def verify_command(session: Session) -> int:
    """Check that every recorded object is still there and intact."""
    click.echo(f"all {_box(session)[1].verify()} objects intact")
    return 0


@sandbox_group.command("inventory")
@pass_session
def inventory_command(session: Session) -> int:
    """Print the inventory file that describes the sandbox."""
    click.echo(_box(session)[1].layout().inventory_path.read_text(), nl=False)
    return 0


@sandbox_group.command("down")
@pass_session
def down_command(session: Session) -> int:
    """Stop every process of the sandbox and remove every file."""
    name, box = _box(session)
    box.down()
    click.echo(f"sandbox {name} is down; {box.root} removed")
    return 0


COMMANDS = (sandbox_group,)
