"""The pure downtime core: requests, reference tags and what counts as already set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ceph_tasks.errors import InvalidInput
from ceph_tasks.monitoring.backend import (
    DowntimeRequest,
    ExistingDowntime,
    covering,
    has_tag,
    reference_tag,
    tagged_comment,
)

START = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=4)


def request(**changes: object) -> DowntimeRequest:
    fields: dict[str, object] = {
        "host": "node2", "start": START, "end": END, "comment": "disk swap",
        "author": "cephmaint", "reference": "wf-42",
    }
    fields |= changes
    return DowntimeRequest(**fields)  # type: ignore[arg-type]


def existing(**changes: object) -> ExistingDowntime:
    fields: dict[str, object] = {
        "id": "node2!a", "host": "node2", "service": "", "author": "cephmaint",
        "comment": tagged_comment("disk swap", "wf-42"), "end": END,
    }
    fields |= changes
    return ExistingDowntime(**fields)  # type: ignore[arg-type]


def test_the_stored_comment_ends_with_the_reference_tag() -> None:
    assert request().stored_comment == "disk swap [cephmaint:wf-42]"
    assert tagged_comment("  ", "wf-42") == "[cephmaint:wf-42]"


def test_a_tag_of_one_reference_is_not_found_in_another() -> None:
    assert has_tag("x [cephmaint:wf-42]", "wf-42")
    assert not has_tag("x [cephmaint:wf-421]", "wf-42")


@pytest.mark.parametrize("bad", ["", "has space", "-lead", "a/b", "x" * 65, "quote\""])
def test_unsafe_references_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="reference"):
        reference_tag(bad)


def test_a_downtime_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="node2"):
        request(end=START - timedelta(seconds=1))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        request(start=START.replace(tzinfo=None))


def test_a_matching_downtime_lasting_long_enough_covers_the_request() -> None:
    assert covering(request(), [existing(end=END + timedelta(hours=1))]) == ("node2!a",)


@pytest.mark.parametrize(
    "other",
    [
        {"host": "node3"},
        {"service": "ssh"},
        {"author": "someone"},
        {"comment": "disk swap"},
        {"comment": tagged_comment("disk swap", "wf-43")},
        {"end": END - timedelta(minutes=1)},
    ],
)
def test_a_downtime_differing_in_one_respect_does_not_cover(other: dict[str, object]) -> None:
    assert covering(request(), [existing(**other)]) is None


def test_service_requests_need_every_service_covered() -> None:
    wanted = request(services=("ssh", "ping"))
    only_ssh = [existing(id="n!ssh", service="ssh")]
    both = [*only_ssh, existing(id="n!ping", service="ping")]
    assert covering(wanted, only_ssh) is None
    assert covering(wanted, both) == ("n!ssh", "n!ping")
