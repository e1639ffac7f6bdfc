"""`${ENV}` interpolation and the handling of secret values."""

from __future__ import annotations

import logging
import os

import pytest

from inventory import (
    InventorySyntaxError,
    UnsetVariableError,
    load_inventory,
    parse_inventory,
)
from tests.unit.inventory.builders import EXAMPLE, EXAMPLE_ENV, SMALL

WITH_ICINGA = SMALL.replace(
    "    hosts:\n",
    "    monitoring:\n"
    "      icinga:\n"
    "        url: https://icinga.example.net:5665\n"
    "        user: ${ICINGA_USER}\n"
    "        password: ${ICINGA_PASSWORD}\n"
    "    hosts:\n",
)


def test_references_are_replaced_by_environment_values() -> None:
    env = {"ICINGA_USER": "maint", "ICINGA_PASSWORD": "pw"}
    icinga = parse_inventory(WITH_ICINGA, env=env).clusters[0].monitoring.icinga
    assert icinga is not None
    assert icinga.user == "maint"
    assert icinga.password.get_secret_value() == "pw"


def test_references_work_inside_longer_strings() -> None:
    text = SMALL.replace("conf_path: /etc/ceph/lab.conf", "conf_path: ${CONF_DIR}/lab.conf")
    access = parse_inventory(text, env={"CONF_DIR": "/srv/ceph"}).clusters[0].access
    assert str(access.conf_path) == "/srv/ceph/lab.conf"


def test_unset_variable_error_names_variable_file_key_path_and_line() -> None:
    with pytest.raises(UnsetVariableError) as caught:
        parse_inventory(WITH_ICINGA, source="lab.yaml", env={"ICINGA_USER": "maint"})
    error = caught.value
    assert error.variable == "ICINGA_PASSWORD"
    assert str(error) == (
        "lab.yaml:9: clusters[0].monitoring.icinga.password: "
        "environment variable ICINGA_PASSWORD is not set"
    )


def test_the_process_environment_is_not_read_unless_passed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICINGA_USER", "from-env")
    monkeypatch.setenv("ICINGA_PASSWORD", "pw")
    with pytest.raises(UnsetVariableError, match="ICINGA_USER"):
        parse_inventory(WITH_ICINGA)
    icinga = parse_inventory(WITH_ICINGA, env=os.environ).clusters[0].monitoring.icinga
    assert icinga is not None
    assert icinga.user == "from-env"


def test_double_dollar_escapes_a_literal_reference() -> None:
    text = WITH_ICINGA.replace("${ICINGA_PASSWORD}", "'pa$${NOT_A_VAR}ss'")
    icinga = parse_inventory(text, env={"ICINGA_USER": "u"}).clusters[0].monitoring.icinga
    assert icinga is not None
    assert icinga.password.get_secret_value() == "pa${NOT_A_VAR}ss"


def test_lone_dollar_signs_are_kept() -> None:
    text = WITH_ICINGA.replace("${ICINGA_PASSWORD}", "'a$b$'")
    icinga = parse_inventory(text, env={"ICINGA_USER": "u"}).clusters[0].monitoring.icinga
    assert icinga is not None
    assert icinga.password.get_secret_value() == "a$b$"


@pytest.mark.parametrize("reference", ["'${'", "'${1ABC}'", "'${A-B}'", "'${}'"])
def test_malformed_references_are_rejected(reference: str) -> None:
    text = WITH_ICINGA.replace("${ICINGA_PASSWORD}", reference)
    with pytest.raises(InventorySyntaxError, match=r"monitoring\.icinga\.password"):
        parse_inventory(text, env={"ICINGA_USER": "u"})


def test_keys_are_never_interpolated() -> None:
    text = SMALL.replace("        rack: A1\n", "        rack: A1\n        ${X}: 1\n")
    with pytest.raises(Exception, match=r"unknown key '\$\{X\}'"):
        parse_inventory(text, env={"X": "room"})


def test_secrets_never_appear_in_repr_str_or_json_dump(caplog: pytest.LogCaptureFixture) -> None:
    fleet = load_inventory(EXAMPLE, env=EXAMPLE_ENV)
    logging.getLogger("test").warning("inventory: %r %s", fleet, fleet)
    texts = [
        repr(fleet),
        str(fleet),
        fleet.model_dump_json(),
        str(fleet.model_dump()),
        caplog.text,
    ]
    for text in texts:
        for secret in EXAMPLE_ENV.values():
            assert secret not in text
    assert "**********" in repr(fleet)


def test_validation_errors_do_not_echo_secret_input() -> None:
    text = WITH_ICINGA.replace("url: https://icinga.example.net:5665", "url: not-a-url")
    with pytest.raises(Exception) as caught:
        parse_inventory(text, env={"ICINGA_USER": "u", "ICINGA_PASSWORD": "topsecret"})
    assert "topsecret" not in str(caught.value)
    assert "icinga.url" in str(caught.value)
