"""`cephmaint serve`: what it checks before serving, what it warns of, and what it serves
(uvicorn's run replaced by a recorder: the app it was given is tried in-process)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from cephmaint.command import CommandFailed
from cephmaint.commands import serve
from cephmaint.exit_codes import ExitCode, exit_code_of
from cephmaint.web.accounts import Account, Role, write_accounts
from cephmaint.web.passwords import hash_password
from tests.support.lab import INVENTORY


@pytest.fixture
def served(tmp_path: Path, redis_url: str,
           monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """The settings of a served lab; what uvicorn would have been asked to run."""
    for name in [n for n in os.environ if n.startswith("CEPHMAINT_")]:
        monkeypatch.delenv(name)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    users = tmp_path / "users.yaml"
    write_accounts(users, [Account("olga", Role.OPERATOR, hash_password("olga-password-1"))])
    for name, value in {"CEPHMAINT_USERS": str(users), "CEPHMAINT_INVENTORY": str(inventory),
                        "CEPHMAINT_BROKER_URL": redis_url, "CEPHMAINT_REDIS_URL": redis_url,
                        "CEPHMAINT_ALLOWED_HOSTS": "testserver"}.items():
        monkeypatch.setenv(name, value)
    runs: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: runs.append((app, options)))
    return runs


def invoke(*args: str) -> Result:
    return CliRunner().invoke(serve.serve_command, list(args))


def test_it_serves_on_loopback_by_default_without_a_warning(
        served: list[tuple[Any, dict[str, Any]]]) -> None:
    result = invoke()
    assert result.exit_code == 0, result.exception
    (app, options), = served
    assert (options["host"], options["port"]) == ("127.0.0.1", 8080)
    assert options["proxy_headers"] is True
    assert options["server_header"] is False
    assert result.stderr == ""
    client = TestClient(app, follow_redirects=False)
    assert client.get("/login").status_code == 200
    assert client.get("/").headers["location"] == "/login"


def test_the_fleet_page_reads_the_state_store(served: list[tuple[Any, dict[str, Any]]]) -> None:
    invoke()
    (app, _), = served
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"csrf": token, "user": "olga",
                                       "password": "olga-password-1"}).status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "Maintenances" in page.text


def test_the_maintenance_and_technicians_pages_are_served_from_the_state_store(
        served: list[tuple[Any, dict[str, Any]]]) -> None:
    invoke()
    (app, _), = served
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": token, "user": "olga", "password": "olga-password-1"})
    assert client.get("/technicians").status_code == 200
    assert client.get("/maintenances/replace.node7.0000aaaa").status_code == 404
    assert client.get("/static/live.js").status_code == 200


def test_a_non_loopback_address_without_https_is_warned_of(
        served: list[tuple[Any, dict[str, Any]]]) -> None:
    result = invoke("--host", "0.0.0.0", "--port", "8443")
    assert result.exit_code == 0
    assert "warning: serving plain HTTP on 0.0.0.0" in result.stderr
    assert served[0][1]["host"] == "0.0.0.0"


def test_behind_https_a_non_loopback_address_is_not_warned_of(
        served: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEPHMAINT_PUBLIC_URL", "https://cephmaint.example.com")
    assert invoke("--host", "10.0.0.5").stderr == ""


def failure(result: Result) -> tuple[ExitCode, str]:
    assert isinstance(result.exception, CommandFailed), result.exception
    return exit_code_of(result.exception.error), str(result.exception)


def test_without_a_users_file_it_does_not_start(
        served: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEPHMAINT_USERS")
    code, message = failure(invoke())
    assert code == ExitCode.USAGE
    assert "CEPHMAINT_USERS" in message
    assert served == []


def test_a_bad_users_file_stops_it_before_serving(
        served: list[tuple[Any, dict[str, Any]]], tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text("- name: olga\n  role: operator\n")
    code, message = failure(invoke())
    assert code == ExitCode.USAGE
    assert "entry 1 (olga): no password_hash" in message
    assert served == []


def test_an_unreachable_redis_stops_it_before_serving(
        served: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEPHMAINT_REDIS_URL", "redis://127.0.0.1:1/0")
    code, message = failure(invoke())
    assert code == ExitCode.UNREACHABLE
    assert "cannot reach the state Redis at redis://127.0.0.1:1/0" in message
    assert served == []


def test_an_empty_host_allow_list_stops_it(
        served: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEPHMAINT_ALLOWED_HOSTS", " , ")
    code, message = failure(invoke())
    assert code == ExitCode.USAGE
    assert "CEPHMAINT_ALLOWED_HOSTS" in message
