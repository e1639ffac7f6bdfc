"""`cephmaint users set|remove|list` through click, on a users file and the private Redis."""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceph_tasks.redis_client import connect
from cephmaint.command import CommandFailed
from cephmaint.commands.users import users_group
from cephmaint.exit_codes import ExitCode, exit_code_of
from cephmaint.web.accounts import Account, Role, load_accounts, write_accounts
from cephmaint.web.passwords import verify_password
from cephmaint.web.sessions import SessionStore

PASSWORD = "correct-horse-battery"


@dataclass
class Outcome:
    """What a command did: its exit code (as `cephmaint` would give it), output, error."""

    code: int
    out: str
    err: str


@pytest.fixture
def users_path(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The users file the commands edit, through CEPHMAINT_USERS (not made yet)."""
    for name in [n for n in os.environ if n.startswith("CEPHMAINT_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("CEPHMAINT_USERS", str(path))
    monkeypatch.setenv("CEPHMAINT_REDIS_URL", redis_url)
    return path


@pytest.fixture
def store(redis_url: str) -> SessionStore:
    """The sessions the server would keep (the default key prefix)."""
    return SessionStore(connect(redis_url), time.time, 3600.0)


def run(args: Sequence[str], stdin: str | None = None) -> Outcome:
    result = CliRunner().invoke(users_group, list(args), input=stdin)
    if isinstance(result.exception, CommandFailed):
        return Outcome(exit_code_of(result.exception.error), result.stdout, str(result.exception))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def unique(name: str) -> str:
    """A name no other test's sessions use (they share the default key prefix)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_set_adds_a_user_with_an_argon2_hash_in_a_file_of_mode_0600(users_path: Path) -> None:
    outcome = run(["set", "alice", "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    assert outcome.code == 0, outcome.err
    assert "user alice added" in outcome.out
    assert stat.S_IMODE(users_path.stat().st_mode) == 0o600
    alice = load_accounts(users_path)["alice"]
    assert alice.role == Role.OPERATOR
    assert alice.password_hash.startswith("$argon2id$")
    assert verify_password(alice.password_hash, PASSWORD)
    assert PASSWORD not in users_path.read_text()
    assert [p.name for p in users_path.parent.iterdir() if p.name.startswith(".users.yaml.")
            and not p.name.endswith(".lock")] == []


def test_set_asks_for_the_password_twice_without_echoing_it(users_path: Path) -> None:
    outcome = run(["set", "bob", "--role", "technician"], f"{PASSWORD}\n{PASSWORD}\n")
    assert outcome.code == 0, outcome.err
    assert PASSWORD not in outcome.out
    assert "Repeat for confirmation" in outcome.out
    assert verify_password(load_accounts(users_path)["bob"].password_hash, PASSWORD)


def test_two_different_entries_are_asked_again(users_path: Path) -> None:
    outcome = run(["set", "bob", "--role", "viewer"],
                  f"{PASSWORD}\nsomething-else-entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert outcome.code == 0, outcome.err
    assert "do not match" in outcome.out


def test_set_keeps_the_other_users(users_path: Path) -> None:
    run(["set", "alice", "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    run(["set", "bob", "--role", "viewer", "--password-stdin"], f"{PASSWORD}-b\n")
    run(["set", "alice", "--role", "technician", "--keep-password"])
    accounts = load_accounts(users_path)
    assert {n: a.role for n, a in accounts.items()} == {"alice": Role.TECHNICIAN,
                                                       "bob": Role.VIEWER}
    assert verify_password(accounts["alice"].password_hash, PASSWORD)


def test_a_role_change_ends_the_user_s_sessions(users_path: Path, store: SessionStore) -> None:
    name = unique("carol")
    run(["set", name, "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    session_id, _ = store.open(name, Role.OPERATOR, "stamp")
    outcome = run(["set", name, "--role", "viewer", "--keep-password"])
    assert "1 session ended" in outcome.out
    assert store.find(session_id) is None


def test_a_new_password_ends_the_user_s_sessions(users_path: Path, store: SessionStore) -> None:
    name = unique("dave")
    run(["set", name, "--role", "viewer", "--password-stdin"], f"{PASSWORD}\n")
    first, _ = store.open(name, Role.VIEWER, "stamp")
    second, _ = store.open(name, Role.VIEWER, "stamp")
    outcome = run(["set", name, "--password-stdin"], "another-long-password\n")
    assert "2 sessions ended" in outcome.out
    assert store.find(first) is None
    assert store.find(second) is None
    assert load_accounts(users_path)[name].role == Role.VIEWER


def test_remove_takes_the_user_out_and_ends_their_sessions(users_path: Path,
                                                           store: SessionStore) -> None:
    name, other = unique("erin"), unique("frank")
    run(["set", name, "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    run(["set", other, "--role", "viewer", "--password-stdin"], f"{PASSWORD}\n")
    gone, _ = store.open(name, Role.OPERATOR, "stamp")
    kept, _ = store.open(other, Role.VIEWER, "stamp")
    outcome = run(["remove", name])
    assert outcome.code == 0, outcome.err
    assert "1 session ended" in outcome.out
    assert set(load_accounts(users_path)) == {other}
    assert store.find(gone) is None
    assert store.find(kept) is not None
    assert stat.S_IMODE(users_path.stat().st_mode) == 0o600


def test_removing_an_unknown_user_changes_nothing(users_path: Path) -> None:
    run(["set", "alice", "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    before = users_path.read_text()
    outcome = run(["remove", "zoe"])
    assert outcome.code == ExitCode.USAGE
    assert "no user zoe" in outcome.err
    assert users_path.read_text() == before


def test_an_unreachable_redis_is_only_a_warning(users_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run(["set", "alice", "--role", "operator", "--password-stdin"], f"{PASSWORD}\n")
    monkeypatch.setenv("CEPHMAINT_REDIS_URL", "redis://127.0.0.1:1/0")
    outcome = run(["remove", "alice"])
    assert outcome.code == 0
    assert "warning: cannot reach the state Redis" in outcome.err
    assert load_accounts(users_path) == {}


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (["set", "alice", "--role", "admin", "--password-stdin"], PASSWORD, "admin"),
    (["set", "al ice", "--role", "viewer", "--password-stdin"], PASSWORD, "'al ice'"),
    (["set", "alice", "--password-stdin"], PASSWORD, "needs --role"),
    (["set", "alice", "--role", "viewer", "--password-stdin"], "short\n", "12 characters"),
    (["set", "alice", "--role", "viewer", "--keep-password"], None, "needs --role and a"),
    (["set", "alice", "--role", "viewer", "--keep-password", "--password-stdin"], PASSWORD,
     "one or the other"),
])
def test_bad_input_is_refused_and_writes_nothing(users_path: Path, args: list[str],
                                                 stdin: str | None, says: str) -> None:
    outcome = run(args, stdin)
    assert outcome.code == ExitCode.USAGE
    assert says in outcome.err + outcome.out
    assert not users_path.exists()


def test_without_a_users_file_configured_it_says_how_to_give_one(
        users_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEPHMAINT_USERS")
    outcome = run(["set", "alice", "--role", "viewer", "--password-stdin"], PASSWORD)
    assert outcome.code == ExitCode.USAGE
    assert "CEPHMAINT_USERS" in outcome.err


def test_a_file_named_with_file_is_used(users_path: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "other.yaml"
    run(["set", "alice", "--role", "viewer", "--password-stdin", "--file", str(elsewhere)],
        PASSWORD)
    assert set(load_accounts(elsewhere)) == {"alice"}
    assert not users_path.exists()


def test_a_bad_users_file_is_not_overwritten(users_path: Path) -> None:
    users_path.write_text("- name: alice\n  role: boss\n  password_hash: x\n")
    outcome = run(["set", "bob", "--role", "viewer", "--password-stdin"], PASSWORD)
    assert outcome.code == ExitCode.USAGE
    assert f"users file {users_path}: entry 1 (alice): unknown role 'boss'" in outcome.err
    assert "boss" in users_path.read_text()


def test_list_shows_names_and_roles(users_path: Path) -> None:
    write_accounts(users_path, [Account("bob", Role.VIEWER, "$argon2id$v=19$m=8,t=1,p=1$"
                                        "c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
                                Account("alice", Role.OPERATOR, "$argon2id$v=19$m=8,t=1,p=1$"
                                        "c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")])
    outcome = run(["list"])
    assert outcome.out.splitlines() == ["alice  operator", "bob    viewer"]
