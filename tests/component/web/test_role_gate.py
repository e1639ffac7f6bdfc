"""`require(role)`: the gate of every route that changes something, shown on routes made
here (the product's own controls come later): no session, no CSRF token or too low a role
is a 403 and the handler is not called."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cephmaint.web.access import require
from cephmaint.web.accounts import Role
from cephmaint.web.context import Principal
from tests.component.web.conftest import MakeSite, Site


@pytest.fixture
def gated(make_site: MakeSite) -> Site:
    """A site with a route for each role; each handler notes who called it."""
    calls: list[str] = []

    def route(path: str, role: Role) -> Route:
        @require(role)
        async def handler(request: Request, who: Principal) -> Response:
            form = await request.form()
            calls.append(f"{path} by {who.name} ({who.role}): {form.get('what')}")
            return PlainTextResponse("done")
        return Route(path, handler, methods=["POST"])

    site = make_site(routes=[route("/operate", Role.OPERATOR),
                             route("/confirm", Role.TECHNICIAN),
                             route("/look", Role.VIEWER)])
    site.calls = calls
    return site


def test_an_operator_route_runs_for_an_operator_with_the_session_token(gated: Site) -> None:
    gated.login("olga")
    answer = gated.client.post("/operate", data={"csrf": gated.page_token(), "what": "pause"})
    assert answer.status_code == 200
    assert gated.calls == ["/operate by olga (operator): pause"]


def test_an_operator_may_also_confirm(gated: Site) -> None:
    gated.login("olga")
    assert gated.client.post("/confirm", data={"csrf": gated.page_token()}).status_code == 200


@pytest.mark.parametrize(("user", "path", "allowed"), [
    ("tim", "/confirm", True), ("tim", "/operate", False), ("vera", "/look", True),
    ("vera", "/confirm", False), ("vera", "/operate", False)])
def test_each_role_may_do_what_it_gives_and_no_more(gated: Site, user: str, path: str,
                                                    allowed: bool) -> None:
    gated.login(user)
    answer = gated.client.post(path, data={"csrf": gated.page_token()})
    assert answer.status_code == (200 if allowed else 403)
    assert len(gated.calls) == int(allowed)


def test_a_technician_posting_to_an_operator_route_is_refused_and_nothing_changes(
        gated: Site) -> None:
    gated.login("tim")
    before = gated.keys()
    answer = gated.client.post("/operate", data={"csrf": gated.page_token(), "what": "cancel"})
    assert answer.status_code == 403
    assert "operator" in answer.text
    assert gated.calls == []
    assert gated.keys() == before


def test_a_post_without_the_csrf_token_is_refused_and_the_handler_not_called(
        gated: Site) -> None:
    gated.login("olga")
    answer = gated.client.post("/operate", data={"what": "pause"})
    assert answer.status_code == 403
    assert gated.calls == []


def test_a_post_with_a_wrong_csrf_token_is_refused_and_the_handler_not_called(
        gated: Site) -> None:
    gated.login("olga")
    answer = gated.client.post("/operate", data={"csrf": "not-the-token", "what": "pause"})
    assert answer.status_code == 403
    assert gated.calls == []


def test_another_session_s_token_does_not_pass(gated: Site) -> None:
    gated.login("olga")
    stolen = gated.page_token()
    gated.client.cookies.clear()
    gated.login("olga")
    assert gated.client.post("/operate", data={"csrf": stolen}).status_code == 403
    assert gated.calls == []


def test_a_post_without_a_session_is_refused_even_with_a_token(gated: Site) -> None:
    gated.login("olga")
    token = gated.page_token()
    gated.client.cookies.clear()
    answer = gated.client.post("/operate", data={"csrf": token})
    assert answer.status_code == 403
    assert gated.calls == []


def test_a_demoted_operator_loses_the_right_at_the_next_request(gated: Site) -> None:
    gated.login("olga")
    token = gated.page_token()
    gated.set_role("olga", Role.TECHNICIAN)
    assert gated.client.post("/operate", data={"csrf": token}).status_code == 403
    assert gated.calls == []


def test_a_multipart_form_is_checked_the_same_way(gated: Site) -> None:
    gated.login("olga")
    answer = gated.client.post("/operate", files={"what": ("x.txt", b"pause")})
    assert answer.status_code == 403
    answer = gated.client.post("/operate", data={"csrf": gated.page_token(), "what": "pause"},
                               files={"file": ("x.txt", b"data")})
    assert answer.status_code == 200
