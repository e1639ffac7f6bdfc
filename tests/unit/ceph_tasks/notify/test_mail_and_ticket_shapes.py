"""Pure shapes of the e-mail, chat payload and JIRA-style requests."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ceph_tasks.notify.chat import chat_payload, redacted_webhook
from ceph_tasks.notify.email import REFERENCE_HEADER, build_email
from ceph_tasks.notify.ticket import (
    check_key,
    issue_body,
    jql_string,
    parse_found_key,
    parse_state,
    search_jql,
)
from inventory.settings import EmailTarget
from tests.support.technicians import a_message


def test_the_mail_goes_from_the_sender_to_every_recipient_with_the_reference() -> None:
    target = EmailTarget(smtp_host="smtp.example.net", sender="cephmaint@example.net",
                         recipients=("dc1@example.net", "storage@example.net"))
    mail = build_email(a_message(), target, "<1@example.net>")
    assert mail["From"] == "cephmaint@example.net"
    assert mail["To"] == "dc1@example.net, storage@example.net"
    assert mail["Subject"] == a_message().subject
    assert mail[REFERENCE_HEADER] == "wf-42-node2"
    assert "ZA1B2C3D" in mail.get_content()


def test_email_credentials_come_in_pairs() -> None:
    with pytest.raises(ValueError, match="both user and password"):
        EmailTarget(smtp_host="smtp.example.net", sender="a@example.net",
                    recipients=("b@example.net",), user="cephmaint")
    target = EmailTarget(smtp_host="smtp.example.net", sender="a@example.net",
                         recipients=("b@example.net",), user="u", password=SecretStr("p"))
    assert "'p'" not in repr(target)


def test_the_chat_payload_leads_with_the_subject() -> None:
    text = chat_payload(a_message())["text"]
    assert text.startswith(f"*{a_message().subject}*\n")


def test_a_redacted_webhook_keeps_only_scheme_and_host() -> None:
    assert redacted_webhook("https://chat.example.net/hooks/T0/B0/tok3n?x=1") == (
        "https://chat.example.net/<redacted>"
    )


def test_jql_strings_escape_quotes_and_backslashes() -> None:
    assert jql_string('a"b\\c') == '"a\\"b\\\\c"'
    assert search_jql("OPS", "wf-42") == 'project = "OPS" AND labels = "cephmaint-wf-42"'


def test_the_issue_carries_summary_description_type_and_reference_label() -> None:
    fields = issue_body(a_message(), "OPS", "Task")["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == a_message().subject
    assert fields["description"] == a_message().body
    assert fields["labels"] == ["cephmaint-wf-42-node2"]


def test_the_state_is_read_with_its_category() -> None:
    document = {"key": "OPS-7", "fields": {"status": {
        "name": "Resolved", "id": "5", "statusCategory": {"id": 3, "key": "done", "name": "Done"},
    }}}
    state = parse_state("OPS-7", document)
    assert (state.status, state.category, state.done) == ("Resolved", "done", True)
    with pytest.raises(ValueError, match="status"):
        parse_state("OPS-7", {"fields": {}})


def test_a_search_answer_gives_the_first_key_or_none() -> None:
    assert parse_found_key({"total": 0, "issues": []}) is None
    assert parse_found_key({"total": 1, "issues": [{"id": "1", "key": "OPS-7"}]}) == "OPS-7"


@pytest.mark.parametrize("bad", ["ops-1", "OPS", "OPS-1/../../x", "OPS-1 "])
def test_keys_that_are_not_issue_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="issue key"):
        check_key(bad)
