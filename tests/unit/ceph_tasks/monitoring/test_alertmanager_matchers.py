"""Alertmanager matchers, silence bodies and the choice of an existing silence."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ceph_tasks.monitoring.alertmanager import (
    HostMatching,
    Matcher,
    Silence,
    deletion_succeeded,
    escape_regex,
    find_covering,
    ours_for_host,
    parse_silences,
    rfc3339,
    silence_body,
)
from ceph_tasks.monitoring.backend import DowntimeRequest

START = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def request(host: str = "node2.dc1", services: tuple[str, ...] = ()) -> DowntimeRequest:
    return DowntimeRequest(
        host=host, start=START, end=END, comment="disk swap", author="cephmaint",
        reference="wf-42", services=services,
    )


def silence(**changes: object) -> Silence:
    fields: dict[str, object] = {
        "id": "s1", "state": "active",
        "matchers": frozenset(HostMatching().matchers(request())),
        "ends_at": END, "created_by": "cephmaint", "comment": "disk swap [cephmaint:wf-42]",
    }
    fields |= changes
    return Silence(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["node2.dc1", "a+b", "x(y)|z", "[a]{1}^$\\*?"])
def test_escaped_text_matches_only_itself(text: str) -> None:
    pattern = re.compile(escape_regex(text))
    assert pattern.fullmatch(text)
    assert not pattern.fullmatch(text + "x")


def test_the_default_matcher_takes_the_instance_with_or_without_port() -> None:
    matcher = HostMatching().host_matcher("node2.dc1")
    assert (matcher.name, matcher.is_regex) == ("instance", True)
    pattern = re.compile(matcher.value)
    assert pattern.fullmatch("node2.dc1")
    assert pattern.fullmatch("node2.dc1:9100")
    assert not pattern.fullmatch("node2xdc1:9100")
    assert not pattern.fullmatch("node2.dc10")


def test_an_equality_matcher_on_another_label_can_be_chosen() -> None:
    matcher = HostMatching(label="host", with_port=False).host_matcher("node2")
    assert matcher == Matcher("host", "node2", is_regex=False, is_equal=True)


def test_services_add_one_escaped_alternative_matcher() -> None:
    matching = HostMatching(service_label="job")
    _host, services = matching.matchers(request(services=("ceph", "no.de")))
    assert services.name == "job"
    assert re.fullmatch(services.value, "no.de")
    assert not re.fullmatch(services.value, "noxde")


def test_the_silence_body_has_the_documented_fields() -> None:
    body = silence_body(request(), HostMatching())
    assert body["startsAt"] == "2030-05-06T08:00:00Z"
    assert body["endsAt"] == "2030-05-06T10:00:00Z"
    assert body["createdBy"] == "cephmaint"
    assert body["comment"].endswith("[cephmaint:wf-42]")
    assert body["matchers"] == [
        {"name": "instance", "value": r"node2\.dc1(:[0-9]+)?", "isRegex": True, "isEqual": True}
    ]


def test_rfc3339_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        rfc3339(START.replace(tzinfo=None))


def test_listed_silences_are_read_and_isequal_defaults_to_true() -> None:
    document = [{
        "id": "5b90", "status": {"state": "active"}, "updatedAt": "2030-05-06T08:00:00.000Z",
        "comment": "c", "createdBy": "x", "startsAt": "2030-05-06T08:00:00.000Z",
        "endsAt": "2030-05-06T10:00:00.000Z",
        "matchers": [{"isRegex": False, "name": "instance", "value": "a"}],
    }]
    [found] = parse_silences(document)
    assert found.ends_at == END
    assert found.matchers == frozenset({Matcher("instance", "a")})


def test_a_live_silence_with_same_matchers_and_tag_is_reused() -> None:
    assert find_covering(request(), HostMatching(), [silence(state="pending")]) == "s1"


@pytest.mark.parametrize(
    "other",
    [
        {"state": "expired"},
        {"matchers": frozenset({Matcher("instance", "node2.dc1")})},
        {"created_by": "someone"},
        {"comment": "disk swap [cephmaint:wf-43]"},
        {"ends_at": END - timedelta(seconds=1)},
    ],
)
def test_a_silence_differing_in_one_respect_is_not_reused(other: dict[str, object]) -> None:
    assert find_covering(request(), HostMatching(), [silence(**other)]) is None


def test_removal_selects_live_tagged_silences_of_the_host_only() -> None:
    others = HostMatching().matchers(request("node3"))
    silences = [
        silence(id="mine"),
        silence(id="old", state="expired"),
        silence(id="foreign", comment="by hand"),
        silence(id="node3", matchers=frozenset(others)),
    ]
    assert ours_for_host("node2.dc1", "wf-42", HostMatching(), silences) == ["mine"]


def test_a_vanished_silence_counts_as_deleted() -> None:
    assert deletion_succeeded(200, "")
    assert deletion_succeeded(404, "")
    assert deletion_succeeded(500, '"silence not found"')
    assert not deletion_succeeded(500, "internal error")
