"""TicketClient against JIRA-style REST v2 answers served by `responses`."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
from pydantic import SecretStr

from ceph_tasks.errors import NotificationError
from ceph_tasks.notify.ticket import TicketClient
from ceph_tasks.testing.fake_notify import InMemoryTickets
from inventory.settings import TicketTarget
from tests.support.technicians import a_message

BASE = "https://tickets.example.net"
TOKEN = "pat-Zm9vYmFyYmF6cXV4"
SEARCH = f"{BASE}/rest/api/2/search"
ISSUE = f"{BASE}/rest/api/2/issue"


def client() -> TicketClient:
    return TicketClient(TicketTarget(url=BASE, project="DCOPS", token=SecretStr(TOKEN)))


def status_answer(key: str, name: str, category: str) -> dict[str, object]:
    return {
        "id": "10042", "self": f"{ISSUE}/10042", "key": key,
        "fields": {"status": {
            "self": f"{BASE}/rest/api/2/status/10001", "description": "", "name": name,
            "id": "10001",
            "statusCategory": {"self": f"{BASE}/rest/api/2/statuscategory/3", "id": 3,
                               "key": category, "colorName": "green", "name": name},
        }},
    }


@responses.activate
def test_a_new_maintenance_opens_a_labelled_issue_with_a_bearer_token() -> None:
    responses.add(responses.GET, SEARCH,
                  json={"startAt": 0, "maxResults": 1, "total": 0, "issues": []})
    responses.add(responses.POST, ISSUE, status=201,
                  json={"id": "10042", "key": "DCOPS-42", "self": f"{ISSUE}/10042"})
    assert client().notify(a_message()) == "DCOPS-42"
    search, create = responses.calls
    assert search.request.params["jql"] == (
        'project = "DCOPS" AND labels = "cephmaint-wf-42-node2"'
    )
    fields = json.loads(create.request.body or b"")["fields"]
    assert fields["project"] == {"key": "DCOPS"}
    assert fields["labels"] == ["cephmaint-wf-42-node2"]
    assert create.request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_opening_again_finds_the_existing_issue() -> None:
    responses.add(responses.GET, SEARCH, json={
        "startAt": 0, "maxResults": 1, "total": 1,
        "issues": [{"id": "10042", "key": "DCOPS-42", "self": f"{ISSUE}/10042",
                    "fields": {"status": {"name": "Open"}}}],
    })
    assert client().notify(a_message()) == "DCOPS-42"
    assert len(responses.calls) == 1


@responses.activate
def test_the_status_and_its_category_are_read() -> None:
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "Done", "done"))
    assert client().ticket_status("DCOPS-42") == "Done"
    assert client().ticket_state("DCOPS-42").done
    assert responses.calls[0].request.params["fields"] == "status"


@responses.activate
def test_an_open_ticket_is_not_done() -> None:
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "In Progress", "indeterminate"))
    assert not client().ticket_state("DCOPS-42").done


@responses.activate
def test_a_comment_is_added_and_its_id_returned() -> None:
    responses.add(responses.POST, f"{ISSUE}/DCOPS-42/comment", status=201, json={
        "self": f"{ISSUE}/10042/comment/10100", "id": "10100", "body": "Disk swapped",
        "author": {"name": "cephmaint"}, "created": "2030-05-06T08:00:00.000+0000",
    })
    assert client().comment("DCOPS-42", "Disk swapped") == "10100"
    assert json.loads(responses.calls[0].request.body or b"") == {"body": "Disk swapped"}


def transitions(*targets: tuple[str, str, str]) -> dict[str, object]:
    """GET .../transitions: (id, status name, status category) of each."""
    return {"expand": "transitions", "transitions": [
        {"id": tid, "name": f"to {name}", "to": {"name": name, "statusCategory": {
            "key": category, "name": name}}} for tid, name, category in targets]}


@responses.activate
def test_closing_comments_then_takes_the_transition_into_a_done_status() -> None:
    comment = responses.add(responses.POST, f"{ISSUE}/DCOPS-42/comment", status=201,
                            json={"id": "10101"})
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "In Progress", "indeterminate"))
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42/transitions", json=transitions(
        ("11", "Waiting", "indeterminate"), ("31", "Resolved", "done")))
    moved = responses.add(responses.POST, f"{ISSUE}/DCOPS-42/transitions", status=204)
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "Resolved", "done"))
    assert client().close("DCOPS-42", "osd.5 back, PGs clean") == "Resolved"
    assert comment.call_count == 1 and moved.call_count == 1
    assert json.loads(moved.calls[0].request.body or b"") == {"transition": {"id": "31"}}


@responses.activate
def test_a_ticket_a_person_closed_already_only_gets_the_comment() -> None:
    responses.add(responses.POST, f"{ISSUE}/DCOPS-42/comment", status=201, json={"id": "1"})
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "Closed", "done"))
    assert client().close("DCOPS-42", "osd.5 back") == "Closed"
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]


@responses.activate
def test_a_workflow_without_a_way_to_done_is_an_error_naming_the_ticket() -> None:
    responses.add(responses.POST, f"{ISSUE}/DCOPS-42/comment", status=201, json={"id": "1"})
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42",
                  json=status_answer("DCOPS-42", "Open", "new"))
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42/transitions",
                  json=transitions(("11", "Waiting", "indeterminate")))
    with pytest.raises(NotificationError, match=r"closing ticket DCOPS-42: no transition "
                                                r"from Open leads to a done status"):
        client().close("DCOPS-42", "osd.5 back")


@pytest.mark.parametrize(("status", "meaning"), [(401, "authentication refused"),
                                                 (404, "not found"), (500, "server error")])
@responses.activate
def test_errors_name_the_ticket_and_url_but_not_the_token(
    status: int, meaning: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.add(responses.GET, f"{ISSUE}/DCOPS-42", status=status,
                  json={"errorMessages": ["Issue does not exist"], "errors": {}})
    with pytest.raises(NotificationError) as caught:
        client().ticket_status("DCOPS-42")
    assert "DCOPS-42" in str(caught.value)
    assert f"{ISSUE}/DCOPS-42" in str(caught.value)
    assert f"{status} ({meaning})" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caplog.text


@responses.activate
def test_an_unreachable_tracker_is_a_notification_error_caused_by_requests() -> None:
    responses.add(responses.GET, SEARCH, body=requests.ConnectionError("refused"))
    with pytest.raises(NotificationError, match=r"wf-42-node2.*ConnectionError") as caught:
        client().notify(a_message())
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


@responses.activate
def test_a_created_issue_without_a_key_is_an_error() -> None:
    responses.add(responses.GET, SEARCH, json={"total": 0, "issues": []})
    responses.add(responses.POST, ISSUE, status=201, json={"id": "10042"})
    with pytest.raises(NotificationError, match="no issue key"):
        client().notify(a_message())


def test_a_malformed_key_never_reaches_a_url() -> None:
    with pytest.raises(ValueError, match="issue key"):
        client().ticket_status("DCOPS-1/../../admin")


def test_the_token_is_not_in_the_repr() -> None:
    assert TOKEN not in repr(client())


def test_the_in_memory_tracker_opens_one_ticket_per_reference() -> None:
    tickets = InMemoryTickets()
    key = tickets.notify(a_message())
    assert tickets.notify(a_message()) == key
    assert tickets.ticket_status(key) == "Open"
    tickets.statuses[key] = "Done"
    assert tickets.ticket_status(key) == "Done"
    with pytest.raises(NotificationError, match="OPS-99"):
        tickets.ticket_status("OPS-99")
