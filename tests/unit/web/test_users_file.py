"""The users file: what it accepts, how a bad one is refused, how it is written and re-read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ceph_tasks.errors import ConfigurationError
from cephmaint.web.accounts import (
    Account,
    AccountsFile,
    Role,
    dump_accounts,
    load_accounts,
    write_accounts,
)
from cephmaint.web.passwords import hash_password

# A well-formed argon2id hash (of no password anyone knows), cheap to parse.
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"


def users(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = users(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_accounts(path)
    message = str(caught.value)
    assert message.startswith(f"users file {path}: ")
    return message.removeprefix(f"users file {path}: ")


def test_a_good_file_gives_each_user_a_role_and_hash(tmp_path: Path) -> None:
    path = users(tmp_path, f"- name: alice\n  role: operator\n  password_hash: '{HASH}'\n"
                           f"- name: bob.smith@dc1\n  role: technician\n"
                           f"  password_hash: '{HASH}'\n")
    assert load_accounts(path) == {"alice": Account("alice", Role.OPERATOR, HASH),
                                   "bob.smith@dc1": Account("bob.smith@dc1", Role.TECHNICIAN,
                                                            HASH)}


def test_an_empty_file_has_no_users(tmp_path: Path) -> None:
    assert load_accounts(users(tmp_path, "")) == {}
    assert load_accounts(users(tmp_path, "[]\n")) == {}


@pytest.mark.parametrize(("text", "says"), [
    (f"- name: alice\n  role: admin\n  password_hash: '{HASH}'\n",
     "entry 1 (alice): unknown role 'admin' (one of viewer, technician, operator)"),
    ("- name: alice\n  role: viewer\n",
     "entry 1 (alice): no password_hash (set one with `cephmaint users set alice`)"),
    ("- name: alice\n  role: viewer\n  password_hash: ''\n", "entry 1 (alice): no password_hash"),
    ("- name: alice\n  role: viewer\n  password_hash: hunter2\n",
     "entry 1 (alice): password_hash is not an argon2 hash"),
    ("- name: alice\n  role: viewer\n  password_hash: '$2b$12$abcdefghijklmnopqrstuv'\n",
     "entry 1 (alice): password_hash is not an argon2 hash"),
    ("- name: alice\n  role: viewer\n  password_hash: 12\n",
     "entry 1 (alice): password_hash is not an argon2 hash"),
    (f"- name: alice\n  password_hash: '{HASH}'\n", "entry 1 (alice): no role"),
    (f"- role: viewer\n  password_hash: '{HASH}'\n", "entry 1: no name"),
    (f"- name: al ice\n  role: viewer\n  password_hash: '{HASH}'\n",
     "entry 1: name 'al ice' is not"),
    (f"- name: alice\n  rol: viewer\n  role: viewer\n  password_hash: '{HASH}'\n",
     "entry 1 (alice): unknown field rol"),
    (f"- name: alice\n  role: viewer\n  password_hash: '{HASH}'\n"
     f"- name: bob\n  role: viewer\n  password_hash: '{HASH}'\n"
     f"- name: alice\n  role: operator\n  password_hash: '{HASH}'\n",
     "entry 3 (alice): duplicate name, entry 1 has it too"),
    ("- alice\n", "entry 1: expected a mapping with name, role, password_hash"),
    ("alice: operator\n", "expected a list of users"),
    ("- name: alice\n\trole: viewer\n", "not valid YAML at line 2: found character '\\t'"),
])
def test_a_bad_file_is_refused_naming_the_file_entry_and_what_is_wrong(
        tmp_path: Path, text: str, says: str) -> None:
    assert refusal(tmp_path, text).startswith(says)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"users file .*nope.yaml: cannot read it"):
        load_accounts(tmp_path / "nope.yaml")


def test_each_role_allows_what_the_ones_before_it_allow() -> None:
    assert Role.OPERATOR.allows(Role.TECHNICIAN)
    assert Role.OPERATOR.allows(Role.VIEWER)
    assert Role.TECHNICIAN.allows(Role.TECHNICIAN)
    assert Role.TECHNICIAN.allows(Role.VIEWER)
    assert not Role.TECHNICIAN.allows(Role.OPERATOR)
    assert not Role.VIEWER.allows(Role.TECHNICIAN)


def test_a_written_file_reads_back_the_same_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    accounts = [Account("zed", Role.VIEWER, HASH), Account("amy", Role.OPERATOR, HASH)]
    write_accounts(path, accounts)
    assert load_accounts(path) == {a.name: a for a in accounts}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().index("amy") < path.read_text().index("zed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.yaml"]


def test_writing_replaces_the_file_instead_of_rewriting_it(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    write_accounts(path, [Account("amy", Role.OPERATOR, HASH)])
    path.chmod(0o644)
    before = path.stat().st_ino
    write_accounts(path, [])
    assert path.stat().st_ino != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_accounts(path) == {}


def test_writing_in_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot write in"):
        write_accounts(tmp_path / "nowhere" / "users.yaml", [])


def test_the_dumped_text_says_how_to_edit_it() -> None:
    assert dump_accounts([]).startswith("# The users of `cephmaint serve`")


def test_the_stamp_changes_with_the_password_hash() -> None:
    first, second = hash_password("one-password-here"), hash_password("one-password-here")
    assert Account("a", Role.VIEWER, first).stamp != Account("a", Role.VIEWER, second).stamp
    assert Account("a", Role.VIEWER, first).stamp == Account("a", Role.OPERATOR, first).stamp


def test_the_server_s_view_follows_the_file_and_refuses_a_file_turned_bad(
        tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    write_accounts(path, [Account("amy", Role.OPERATOR, HASH)])
    view = AccountsFile(path)
    assert view.current()["amy"].role == Role.OPERATOR
    write_accounts(path, [Account("amy", Role.VIEWER, HASH)])
    assert view.current()["amy"].role == Role.VIEWER
    path.write_text("- name: amy\n  role: operator\n")
    with pytest.raises(ConfigurationError, match="no password_hash"):
        view.current()
    write_accounts(path, [Account("amy", Role.TECHNICIAN, HASH)])
    assert view.current()["amy"].role == Role.TECHNICIAN
    os.unlink(path)
    with pytest.raises(ConfigurationError, match="cannot read it"):
        view.current()


def test_a_bad_file_stops_the_server_s_view_from_being_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="entry 1"):
        AccountsFile(users(tmp_path, "- name: amy\n"))
