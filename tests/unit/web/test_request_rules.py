"""The pure rules of `cephmaint serve`: hosts, addresses, tokens, passwords, exposure."""

from __future__ import annotations

import pytest

from cephmaint.commands.serve import exposure_warning, is_loopback
from cephmaint.web.access import same_token
from cephmaint.web.headers import host_of, parse_hosts
from cephmaint.web.passwords import decoy_hash, hash_password, is_argon2_hash, verify_password
from cephmaint.web.scrape import bearer_token
from cephmaint.web.throttle import address_group


@pytest.mark.parametrize(("header", "host"), [
    ("example.com", "example.com"), ("Example.COM:8443", "example.com"),
    ("example.com.", "example.com"), ("[::1]:8080", "::1"), ("[::1]", "::1"), ("::1", "::1"),
    ("127.0.0.1:80", "127.0.0.1"), ("", ""), ("[::1", "")])
def test_a_host_header_is_read_without_its_port_in_lower_case(header: str, host: str) -> None:
    assert host_of(header) == host


def test_the_allow_list_is_comma_separated_blanks_ignored() -> None:
    assert parse_hosts(" a.example, B.example:443 ,,[::1]") == {"a.example", "b.example", "::1"}
    assert parse_hosts(" , ") == frozenset()


@pytest.mark.parametrize(("address", "group"), [
    ("192.0.2.7", "192.0.2.7"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"), ("testclient", "testclient")])
def test_failed_logins_are_counted_per_address_and_per_ipv6_64(address: str,
                                                                group: str) -> None:
    assert address_group(address) == group


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", ""), ("Bearer", ""),
    ("", ""), ("abc", "")])
def test_the_bearer_token_is_read_from_the_authorization_header(header: str,
                                                                token: str) -> None:
    assert bearer_token(header) == token


def test_a_token_matches_only_itself_and_never_when_empty() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abd", "abc")
    assert not same_token("", "")
    assert not same_token(None, "abc")
    assert not same_token("abc", "")
    assert not same_token("ünï", "abc")


def test_passwords_are_argon2id_and_checked_against_their_hash() -> None:
    hashed = hash_password("the-right-password")
    assert hashed.startswith("$argon2id$")
    assert is_argon2_hash(hashed)
    assert verify_password(hashed, "the-right-password")
    assert not verify_password(hashed, "the-wrong-password")
    assert not verify_password("not a hash", "the-right-password")
    assert not is_argon2_hash("$2b$12$abcdefghijklmnopqrstuv")


def test_the_decoy_hash_is_a_real_hash_no_empty_password_matches() -> None:
    assert is_argon2_hash(decoy_hash())
    assert decoy_hash() == decoy_hash()
    assert not verify_password(decoy_hash(), "")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False),
    ("cephmaint.example.com", False)])
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_http_beyond_loopback_is_warned_of_unless_tls_is_in_front() -> None:
    assert exposure_warning("127.0.0.1", "") is None
    assert exposure_warning("0.0.0.0", "https://cephmaint.example.com") is None
    warning = exposure_warning("0.0.0.0", "http://cephmaint.example.com")
    assert warning is not None
    assert warning.startswith("warning: serving plain HTTP on 0.0.0.0")
