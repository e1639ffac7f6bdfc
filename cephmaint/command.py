"""What every cephmaint command shares: the shared options, the session, the error path."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from pathlib import Path
from typing import Any, TypeVar

import click

from cephmaint.exit_codes import KNOWN_ERRORS, one_line
from cephmaint.session import Overrides, Session

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(Exception):
    """A known error raised by a command, with the command that raised it."""

    def __init__(self, command: str, error: BaseException) -> None:
        super().__init__(f"{command}: {one_line(error)}")
        self.command, self.error = command, error


class Command(click.Command):
    """A command whose known errors carry its name to main()."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a known error leaves as CommandFailed naming it."""
        try:
            return super().invoke(ctx)
        except KNOWN_ERRORS as e:
            raise CommandFailed(ctx.command_path, e) from e


class Group(click.Group):
    """A group whose commands and subgroups are of the classes above."""

    command_class = Command
    group_class = type


def command(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], Command]:
    """click.command making a Command (known errors carry the command's name)."""
    return click.command(name, cls=Command, **attrs)


def _override(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def remember(ctx: click.Context, _: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.ensure_object(Overrides), name, value)
    return remember


def shared_options(command: F) -> F:
    """--inventory, --redis-url, --broker-url and --debug, on the group and each command."""
    options = [
        click.option("--inventory", type=click.Path(path_type=Path), expose_value=False,
                     callback=_override("inventory_path"), is_eager=True,
                     help="Inventory file or folder [env CEPHMAINT_INVENTORY]."),
        click.option("--redis-url", expose_value=False, callback=_override("redis_url"),
                     is_eager=True,
                     help="Redis of the ledger and the workflows [env CEPHMAINT_REDIS_URL; "
                          "default: the broker's Redis]."),
        click.option("--broker-url", expose_value=False, callback=_override("broker_url"),
                     is_eager=True,
                     help="Celery broker, Redis or RabbitMQ [env CEPHMAINT_BROKER_URL; "
                          "default redis://127.0.0.1:6379/0]."),
        # Read by main() from the words themselves: an error may come before any callback.
        click.option("--debug", is_flag=True, expose_value=False,
                     help="Show the traceback of an error."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def pass_session(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give the command the session: settings read once, from the options and environment."""
    @click.pass_context
    def with_session(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        root = ctx.find_root()
        session = root.meta.get("cephmaint.session")
        if session is None:
            session = root.meta["cephmaint.session"] = Session.start(
                ctx.ensure_object(Overrides))
        return ctx.invoke(command, session, *args, **kwargs)
    return update_wrapper(with_session, command)
