"""The fleet page: the maintenances of every cluster, as `cephmaint list` reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tests.component.web.conftest import START, MakeSite
from workflows.errors import SubmitError
from workflows.listing import Listed, Row

BASE = Row(reference="", cluster="lab", kind="replace", hosts=("node2",), state=Listed.RUNNING,
           step="", detail="", since=None, by="olga", done=0, total=9)


def row(reference: str, state: Listed, since: float | None, **fields: Any) -> Row:
    return replace(BASE, reference=reference, state=state, since=since, **fields)


ROWS = [
    row("replace.node2.b", Listed.WAITING, START - 60, step="Wait for a technician",
        detail="a technician to swap disk ZL2ABC12", done=4),
    row("decommission.node1.a", Listed.DONE, START - 7200, kind="decommission",
        hosts=("node1",), done=9),
    row("replace.node3.c", Listed.QUEUED, None, detail="position 1 in the queue"),
]


def test_every_maintenance_is_a_row_oldest_first_queued_last(make_site: MakeSite) -> None:
    site = make_site(fleet=lambda: ROWS)
    site.login("vera")
    page = site.client.get("/").text
    order = [page.index(r.reference) for r in ROWS]
    assert order[1] < order[0] < order[2]
    assert "a technician to swap disk ZL2ABC12" in page
    assert "4/9" in page
    assert "2027-01-15 07:59" in page  # START - 60, in UTC
    assert 'class="state state-waiting"' in page


def test_what_the_rows_say_is_escaped(make_site: MakeSite) -> None:
    rows = [row("replace.node2.x", Listed.FAILED, START, detail="<script>alert(1)</script>")]
    site = make_site(fleet=lambda: rows)
    site.login("vera")
    page = site.client.get("/").text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_no_maintenance_says_so(make_site: MakeSite) -> None:
    site = make_site(fleet=lambda: [])
    site.login("vera")
    assert "No maintenance is known." in site.client.get("/").text


def test_a_state_store_that_cannot_be_read_is_said_on_the_page(make_site: MakeSite) -> None:
    def broken() -> Sequence[Row]:
        raise SubmitError("cannot read the maintenances of cluster lab: Connection refused")

    site = make_site(fleet=broken)
    site.login("vera")
    answer = site.client.get("/")
    assert answer.status_code == 503
    assert "Connection refused" in answer.text
    assert 'action="/logout"' in answer.text


def test_the_rows_are_not_read_for_someone_not_signed_in(make_site: MakeSite) -> None:
    reads: list[int] = []

    def counted() -> Sequence[Row]:
        reads.append(1)
        return ROWS

    site = make_site(fleet=counted)
    assert site.client.get("/").status_code == 303
    assert reads == []
