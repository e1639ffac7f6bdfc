"""`cephmaint users set|remove|list`: the users of `cephmaint serve`, in their YAML file.

The file (CEPHMAINT_USERS, or --file) holds each user's name, role and argon2 hash; it is
rewritten whole, atomically, mode 0600, under a lock. Removing a user, or changing their
role or password, also ends their sessions in the state Redis; the server would refuse
those sessions anyway (it checks each against the file at every request), so a Redis
that cannot be reached is only a warning.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ceph_tasks.redis_client import connect
from cephmaint.command import Group, pass_session, shared_options
from cephmaint.errors import UsageError
from cephmaint.session import Session
from cephmaint.web.accounts import (
    Account,
    Role,
    check_name,
    editing,
    load_accounts,
    write_accounts,
)
from cephmaint.web.passwords import hash_password
from cephmaint.web.sessions import SessionStore
from dyrygent.errors import StoreError

#: Shorter passwords are refused: the pages control maintenances of whole clusters.
MIN_PASSWORD = 12

_FILE = click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False),
                     default=None, help="The users file [env CEPHMAINT_USERS].")


@click.group("users", cls=Group)
def users_group() -> None:
    """The users of `cephmaint serve`: names, roles (viewer, technician, operator), passwords."""


@users_group.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None,
              help="viewer: sees the pages; technician: also confirms swaps; operator: also "
                   "controls workflows. Needed for a new user; kept otherwise.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from stdin's first line instead of asking twice.")
@click.option("--keep-password", is_flag=True,
              help="Change the role of an existing user only.")
@_FILE
@shared_options
@pass_session
def set_command(session: Session, name: str, role: str | None, password_stdin: bool,
                keep_password: bool, path: Path | None) -> int:
    """Add a user, or change one's role or password (their sessions end).

    \b
    Example:
      cephmaint users set alice --role operator
      printf '%s\\n' "$PASSWORD" | cephmaint users set bob --role technician --password-stdin
    """
    if (problem := check_name(name)) is not None:
        raise UsageError(problem)
    if keep_password and password_stdin:
        raise UsageError("--keep-password and --password-stdin: give one or the other")
    users_file = _users_file(session, path)
    # Refuse what cannot succeed (a bad file, a new user without a role) before asking.
    known = load_accounts(users_file) if users_file.exists() else {}
    if name not in known and (role is None or keep_password):
        raise _new_user_needs(name, users_file)
    hashed = None if keep_password else hash_password(_new_password(password_stdin))
    with editing(users_file) as accounts:
        before = accounts.get(name)
        if before is not None:
            after = Account(name, Role(role) if role is not None else before.role,
                            hashed or before.password_hash)
        elif role is None or hashed is None:
            raise _new_user_needs(name, users_file)
        else:
            after = Account(name, Role(role), hashed)
        accounts[name] = after
        write_accounts(users_file, accounts.values())
    changed = before is not None and (before.role != after.role or hashed is not None)
    ended = _end_sessions(session, name) if changed else 0
    what = "added" if before is None else "updated"
    click.echo(f"user {name} {what} in {users_file}: {after.role}"
               + (f"; {ended} session{'s' * (ended != 1)} ended" if changed else ""))
    return 0


@users_group.command("remove")
@click.argument("name")
@_FILE
@shared_options
@pass_session
def remove_command(session: Session, name: str, path: Path | None) -> int:
    """Remove a user and end their sessions.

    \b
    Example:
      cephmaint users remove alice
    """
    users_file = _users_file(session, path)
    with editing(users_file) as accounts:
        if accounts.pop(name, None) is None:
            raise UsageError(f"no user {name} in {users_file}")
        write_accounts(users_file, accounts.values())
    ended = _end_sessions(session, name)
    click.echo(f"user {name} removed from {users_file}; {ended} session"
               f"{'s' * (ended != 1)} ended")
    return 0


@users_group.command("list")
@_FILE
@shared_options
@pass_session
def list_users_command(session: Session, path: Path | None) -> int:
    """The users and their roles."""
    users_file = _users_file(session, path)
    users = sorted(load_accounts(users_file).values(), key=lambda a: a.name)
    if not users:
        click.echo(f"no user in {users_file}")
    width = max((len(a.name) for a in users), default=0)
    for account in users:
        click.echo(f"{account.name.ljust(width)}  {account.role}")
    return 0


def _users_file(session: Session, path: Path | None) -> Path:
    chosen = path or session.settings.users_path
    if chosen is None:
        raise UsageError("no users file: set CEPHMAINT_USERS or pass --file")
    return chosen.expanduser()


def _new_user_needs(name: str, users_file: Path) -> UsageError:
    return UsageError(f"no user {name} in {users_file}: a new user needs --role and a password")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password has at least {MIN_PASSWORD} characters")
    return password


def _end_sessions(session: Session, name: str) -> int:
    """End the user's sessions; the file already changed, so a failure only warns."""
    settings = session.settings
    try:
        store = SessionStore(connect(settings.redis_url), time.time, settings.session_seconds)
        return store.end_all(name)
    except StoreError as e:
        click.echo(f"warning: {e}; the server ends them at their next request", err=True)
        return 0


COMMANDS = (users_group,)
