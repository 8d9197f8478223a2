"""The bad-input corpus (issue 11): the causes of the server errors a probe found, and their cousins, thrown
at the JSON API, the HTML forms and the case socket.

Every refusal is a 4xx, never a 5xx; API refusals have the shape `{"detail", "errors": [{field, message}]}`
and name the field at fault; pages say what is wrong; and nothing is stored by a refused request (the rows
of every table a request could write are counted before and after).

The causes: cursors (forged, truncated, of another list, nested), numbers beyond the database's integer
columns (path, query, JSON, form), decimal amounts that overflow or vanish, JSON nested without end, form
names that collide or carry non-ASCII digits, NUL characters in any text, socket frames and `?after=` of
the same kinds, and a filing whose files break the limit after the case was stored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets
from litestar import Litestar
from litestar.routes import HTTPRoute

from accord.clock import SystemClock
from accord.pagination import encode_cursor
from accounts.credentials import issue_token
from accounts.tables import ApiToken, Enterprise, User
from cases.service import MAX_EVIDENCE_PER_CASE
from cases.tables import Case, CaseEvent, Evidence, Message, Offer
from integrity.tables import Listing
from notifications.tables import Notification
from tests.cases.conftest import Cast, Parties, act, cast, file_case, filing_body, parties, to_mediation  # noqa: F401
from tests.cases.test_api import PNG
from tests.clean_database import kept_rows
from tests.conftest import csrf_token, login
from tests.e2e.listener import Listener
from tests.servers import start_server

BEYOND_INT4 = 2**31  # PostgreSQL INTEGER / SERIAL columns end one below
BEYOND_INT8 = 2**63  # SQLite's 64-bit integers end one below
TABLES = (Case, CaseEvent, Message, Evidence, Offer, User, Enterprise, ApiToken, Listing, Notification)


async def stored() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in TABLES}


def cursor_of(values: Any) -> str:
    return encode_cursor(values)


def nested_cursor(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode().rstrip("=")


@dataclass
class World:
    api: dict[str, httpx.AsyncClient]  # role -> bearer-token client
    browsers: dict[str, httpx.AsyncClient]  # role -> signed-in browser (session cookie, CSRF token)
    tokens: dict[str, str]
    objects: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def world(app: Litestar, cast: Cast, parties: Parties) -> AsyncIterator[World]:  # noqa: F811
    """A case in mediation ({case}), a case just filed ({filed}), and clients for every role."""
    browsers = {}
    for role in ("consumer", "merchant", "mediator", "admin"):
        browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
        assert (await login(browser, getattr(parties, role).email)).status_code == 302
        browsers[role] = browser
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
    world = World(
        api={
            "consumer": cast.consumer,
            "merchant": cast.merchant,
            "mediator": cast.mediator,
            "admin": cast.admin,
            "anonymous": anonymous,
        },
        browsers={**browsers, "anonymous": anonymous},
        tokens={role: await issue_token(getattr(parties, role).id, "bad input", SystemClock()) for role in browsers},
    )
    case = await to_mediation(cast)
    world.objects = {
        "case": case["reference"],
        "filed": (await file_case(cast))["reference"],
        "enterprise_id": cast.enterprise_id,
        "version": (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["version"],
    }
    async with kept_rows():
        yield world
    for client in [*browsers.values(), anonymous]:
        await client.aclose()


# --- the JSON API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One bad request: who sends it, where, and what must come back (for 422: the field named)."""

    name: str
    who: str
    method: str
    path: str  # {case}, {filed}: the world's cases
    body: Any = None  # a JSON value, or bytes sent as they are
    status: int = 422
    field: str = "cursor"


def _money(amount: str) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def _filing(**overrides: Any) -> Any:
    return ("filing", overrides)  # completed with the world's enterprise when sent


NESTED_ARRAY = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECT = b'{"a":' * 40 + b"1" + b"}" * 40
TIME = "2026-11-25T09:00:00+00:00"

API_CORPUS = [
    # cursors: forged, of another list, of the wrong types, truncated, nested, out of range
    Bad("cursor not base64", "consumer", "GET", "/api/v1/cases?cursor=%%%"),
    Bad("cursor not json", "consumer", "GET", "/api/v1/cases?cursor=abc"),
    Bad("cursor too short", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of([1])}"),
    Bad("cursor of another list", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of(['x', 1])}"),
    Bad("cursor naive time", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of(['2026-11-25T09:00:00', 1])}"),
    Bad("cursor id beyond int4", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of([TIME, BEYOND_INT4])}"),
    Bad("cursor id beyond int8", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of([TIME, BEYOND_INT8])}"),
    Bad("cursor nested", "consumer", "GET", f"/api/v1/cases?cursor={nested_cursor(5000)}"),
    Bad("cursor object", "consumer", "GET", f"/api/v1/cases?cursor={cursor_of([{'a': 1}, 1])}"),
    Bad("enterprise cursor swapped", "consumer", "GET", f"/api/v1/enterprises?cursor={cursor_of([1, 'x'])}"),
    Bad("enterprise cursor NUL", "consumer", "GET", "/api/v1/enterprises?cursor=" + cursor_of(["a\x00", 1])),
    Bad("user cursor text", "admin", "GET", f"/api/v1/admin/users?cursor={cursor_of(['1'])}"),
    Bad("agent cursor text", "admin", "GET", f"/api/v1/admin/agents?cursor={cursor_of(['x'])}"),
    Bad("queue cursor text", "mediator", "GET", f"/api/v1/queue?cursor={cursor_of(['soon', 1])}"),
    Bad("queue cursor beyond int4", "mediator", "GET", f"/api/v1/queue?cursor={cursor_of([None, BEYOND_INT4])}"),
    Bad("registry cursor beyond int4", "anonymous", "GET", f"/api/v1/registry?cursor={cursor_of([BEYOND_INT4])}"),
    Bad("registry cursor boolean", "anonymous", "GET", f"/api/v1/registry?cursor={cursor_of([True])}"),
    Bad("inbox cursor beyond int8", "consumer", "GET", f"/api/v1/notifications?cursor={cursor_of([-BEYOND_INT8 - 1])}"),
    Bad("seq cursor superscript", "consumer", "GET", "/api/v1/cases/{case}/messages?cursor=²"),
    Bad("seq cursor arabic digit", "consumer", "GET", "/api/v1/cases/{case}/messages?cursor=٣"),
    Bad("seq cursor beyond int4", "consumer", "GET", f"/api/v1/cases/{{case}}/messages?cursor={BEYOND_INT4}"),
    Bad("seq cursor 30 digits", "consumer", "GET", "/api/v1/cases/{case}/messages?cursor=" + "9" * 30),
    # numbers in the query beyond the columns
    Bad("after beyond int4", "consumer", "GET", f"/api/v1/cases/{{case}}/messages?after={BEYOND_INT4}", field="after"),
    Bad("after beyond int8", "consumer", "GET", f"/api/v1/cases/{{case}}/messages?after={BEYOND_INT8}", field="after"),
    Bad("after 40 digits", "consumer", "GET", "/api/v1/cases/{case}/messages?after=" + "9" * 40, field="after"),
    Bad("limit 30 digits", "consumer", "GET", "/api/v1/cases?limit=" + "9" * 30, field="limit"),
    # NUL in the query
    Bad("NUL in registry search", "anonymous", "GET", "/api/v1/registry?q=%00", field="q"),
    Bad("NUL in enterprise search", "consumer", "GET", "/api/v1/enterprises?q=a%00b", field="q"),
    Bad("NUL in a state filter", "consumer", "GET", "/api/v1/cases?state=filed%00", field="state"),
    Bad("NUL in a parameter name", "consumer", "GET", "/api/v1/cases?st%00ate=filed", field="st\\0ate"),
    # paths naming nothing that can exist
    Bad("NUL in a reference", "consumer", "GET", "/api/v1/cases/AC%00/record", status=404),
    Bad("evidence id beyond int4", "consumer", "GET", f"/api/v1/cases/{{case}}/evidence/{BEYOND_INT4}", status=404),
    Bad("listing id below int4", "anonymous", "GET", f"/api/v1/registry/listings/{-BEYOND_INT4 - 1}", status=404),
    Bad("listing id 30 digits", "anonymous", "GET", "/api/v1/registry/listings/" + "9" * 30, status=404),
    # NUL in bodies, at any depth, in values and in names
    Bad(
        "NUL in a message",
        "consumer",
        "POST",
        "/api/v1/cases/{case}/messages",
        {"channel": "joint", "text": "a\x00b"},
        field="text",
    ),
    Bad(
        "NUL in a client id",
        "consumer",
        "POST",
        "/api/v1/cases/{case}/messages",
        {"channel": "joint", "text": "hello", "client_id": "\x00"},
        field="client_id",
    ),
    Bad(
        "NUL in a field name",
        "consumer",
        "POST",
        "/api/v1/cases/{case}/messages",
        {"channel": "joint", "text": "hello", "\x00": 1},
        field="\\0",
    ),
    Bad("NUL in a description", "consumer", "POST", "/api/v1/cases", _filing(description="lid\x00"), field="description"),
    Bad(
        "NUL in a nested amount",
        "consumer",
        "POST",
        "/api/v1/cases",
        _filing(amount_paid=_money("1\x00")),
        field="amount_paid.amount",
    ),
    Bad(
        "NUL in an answer",
        "merchant",
        "POST",
        "/api/v1/cases/{filed}/actions/respond",
        {"version": 1, "kind": "reject", "text": "no\x00"},
        field="text",
    ),
    Bad(
        "NUL in listing facts",
        "admin",
        "POST",
        "/api/v1/registry/listings",
        {"enterprise_id": 1, "violation": "counterfeit", "facts": "fake\x00"},
        field="facts",
    ),
    Bad(
        "NUL in a display name",
        "anonymous",
        "POST",
        "/api/v1/auth/register",
        {"email": "nul@example.com", "password": "correct horse battery", "display_name": "Nul\x00", "consent": True},
        field="display_name",
    ),
    Bad(
        "NUL in an email",
        "anonymous",
        "POST",
        "/api/v1/auth/token",
        {"email": "a\x00@example.com", "password": "x"},
        field="email",
    ),
    # integers beyond the columns
    *[
        Bad(f"version {name}", "consumer", "POST", "/api/v1/cases/{case}/actions/withdraw", {"version": v}, field="version")
        for name, v in (("beyond int4", BEYOND_INT4), ("int8 minimum", -BEYOND_INT8), ("30 digits", 10**30))
    ],
    Bad(
        "offer id beyond int4",
        "consumer",
        "POST",
        "/api/v1/cases/{case}/actions/accept_offer",
        {"version": 1, "offer_id": BEYOND_INT4},
        field="offer_id",
    ),
    Bad(
        "mediator id 30 digits",
        "admin",
        "POST",
        "/api/v1/cases/{case}/actions/reassign",
        {"version": 1, "mediator_id": 10**30},
        field="mediator_id",
    ),
    Bad(
        "enterprise id beyond int4",
        "consumer",
        "POST",
        "/api/v1/cases",
        _filing(enterprise_id=BEYOND_INT4),
        field="enterprise_id",
    ),
    Bad("read up to beyond int8", "consumer", "POST", "/api/v1/notifications/read", {"up_to_id": BEYOND_INT8}, field="up_to_id"),
    # JSON's true and false are no numbers (Pydantic's lenient mode, which Litestar uses, reads true as 1)
    Bad("read up to true", "consumer", "POST", "/api/v1/notifications/read", {"up_to_id": True}, field="up_to_id"),
    Bad("enterprise id true", "consumer", "POST", "/api/v1/cases", _filing(enterprise_id=True), field="enterprise_id"),
    # money amounts that overflow, vanish, or are not numbers
    *[
        Bad(f"amount {amount}", "consumer", "POST", "/api/v1/cases", _filing(amount_paid=_money(amount)), field="amount_paid")
        for amount in ("1e999999", "1E+999999999", "1e16", "NaN", "sNaN", "Infinity", "-Infinity", "1e-999999999", "٣")
    ],
    Bad(
        "remedy amount 1e999999",
        "merchant",
        "POST",
        "/api/v1/cases/{filed}/actions/respond",
        {"version": 1, "kind": "offer", "text": "Refund", "remedies": [{"type": "refund", "amount": _money("1e999999")}]},
        field="remedies.0.amount",
    ),
    # JSON nested without end
    Bad("JSON array nested 100,000 deep", "consumer", "POST", "/api/v1/cases", NESTED_ARRAY, status=400),
    Bad("JSON object nested 40 deep", "consumer", "POST", "/api/v1/cases/{case}/messages", NESTED_OBJECT, status=400),
]


def _path(world: World, template: str) -> str:
    return template.replace("{case}", world.objects["case"]).replace("{filed}", world.objects["filed"])


def _body(world: World, body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        return {"content": body, "headers": {"content-type": "application/json"}}
    if isinstance(body, tuple) and body[0] == "filing":
        overrides = {"enterprise_id": world.objects["enterprise_id"], **body[1]}
        return {"json": filing_body(overrides.pop("enterprise_id"), **overrides)}
    return {} if body is None else {"json": body}


@pytest.mark.parametrize("bad", API_CORPUS, ids=[bad.name for bad in API_CORPUS])
async def test_api_refuses_bad_input(world: World, bad: Bad) -> None:
    before = await stored()
    response = await world.api[bad.who].request(bad.method, _path(world, bad.path), **_body(world, bad.body))
    assert response.status_code == bad.status, response.text[:500]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(error) == {"field", "message"} and error["message"] for error in body["errors"])
    if bad.status == 422:
        fields = [error["field"] for error in body["errors"]]
        assert any(name.startswith(bad.field) for name in fields), fields
    assert await stored() == before


async def test_an_empty_client_id_is_no_key(world: World) -> None:
    """Two messages sent with `client_id: ""` are two messages (it collided in a unique index: a 500)."""
    for text in ("first", "second"):
        response = await world.api["consumer"].post(
            f"/api/v1/cases/{world.objects['case']}/messages", json={"channel": "joint", "text": text, "client_id": ""}
        )
        assert response.status_code == 201, response.text
    texts = [item["text"] for item in (await world.api["consumer"].get(f"/api/v1/cases/{world.objects['case']}/messages")).json()["items"]]
    assert texts[-2:] == ["first", "second"]


# --- every route with an integer in its path ---------------------------------------------------------

OUT_OF_RANGE = (BEYOND_INT4, -BEYOND_INT4 - 1, BEYOND_INT8, 10**30)


def _int_path_routes(app: Litestar) -> list[tuple[str, str, str]]:
    """(method, path, int parameter) for every route of the app with an integer path parameter."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for name, parameter in route.path_parameters.items():
            if parameter.type is int:
                found += [(method, route.path, name) for method in sorted(route.methods - {"OPTIONS", "HEAD"})]
    return found


async def test_ids_beyond_the_database_name_nothing(app: Litestar, world: World) -> None:
    """Any integer path parameter beyond the columns is a 404 on every route, now and for routes to come."""
    routes = _int_path_routes(app)
    assert len(routes) > 20  # the app's routes were found
    token = await csrf_token(world.browsers["admin"])
    wrong = []
    for method, template, name in routes:
        for value in OUT_OF_RANGE:
            path = template
            for other, parameter in ((n, p) for n, p in _parameters(template)):
                path = path.replace(parameter, str(value) if other == name else _filler(world, other, parameter))
            client = world.api["admin"] if path.startswith("/api/") else world.browsers["admin"]
            response = await client.request(method, path, headers={"x-csrftoken": token})
            if response.status_code != 404:
                wrong.append(f"{method} {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def _parameters(template: str) -> list[tuple[str, str]]:
    """("name", "{name:type}") for each parameter of a route path."""
    parts = [part for part in template.split("/") if part.startswith("{")]
    return [(part[1:-1].split(":")[0], part) for part in parts]


def _filler(world: World, name: str, parameter: str) -> str:
    if name == "reference":
        return world.objects["case"]
    return "1" if parameter.endswith(":int}") else "x"


# --- HTML forms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadForm:
    name: str
    who: str
    path: str
    form: dict[str, str]
    status: int = 422
    shows: str = "This field name is not accepted here."


FORM_CORPUS = [
    BadForm("value and group", "consumer", "/cases/{case}/messages", {"channel": "joint", "text": "hi", "text.x": "1"}),
    BadForm("group and value", "consumer", "/cases/{case}/messages", {"channel": "joint", "text.x": "1", "text": "hi"}),
    BadForm(
        "superscript index",
        "mediator",
        "/cases/{case}/actions/propose_settlement",
        {"version": "1", "terms.².type": "refund", "fulfil_by": "2026-12-31"},
    ),
    BadForm(
        "arabic digit index",
        "mediator",
        "/cases/{case}/actions/propose_settlement",
        {"version": "1", "terms.٣.type": "refund", "fulfil_by": "2026-12-31"},
    ),
    # No form of ours names its fields by number: a 422 and nothing stored (no field to show the error at).
    BadForm("numbered names", "consumer", "/cases/{case}/messages", {"0": "joint", "1": "hi"}, shows=""),
    BadForm("numbered names on registering", "anonymous", "/register", {"0": "a@example.com", "1": "x"}, shows=""),
    BadForm("empty name part", "consumer", "/cases/{case}/messages", {"channel": "joint", "text": "hi", "a..b": "1"}),
    BadForm(
        "NUL in a value",
        "consumer",
        "/cases/{case}/messages",
        {"channel": "joint", "text": "a\x00b"},
        shows="This text contains a NUL character",
    ),
    BadForm(
        "NUL in a name",
        "consumer",
        "/cases/{case}/messages",
        {"channel": "joint", "text": "hi", "x\x00": "1"},
        shows="This text contains a NUL character",
    ),
    BadForm(
        "NUL in a search",
        "consumer",
        "/cases/new",
        {"q": "tea\x00", "search": "1"},
        shows="This text contains a NUL character",
    ),
    BadForm(
        "mediator id beyond int4",
        "admin",
        "/cases/{case}/actions/reassign",
        {"version": "{version}", "mediator_id": str(BEYOND_INT4)},
        shows="This number is out of range.",
    ),
    BadForm(
        "version superscript",
        "consumer",
        "/cases/{case}/actions/withdraw",
        {"version": "²"},
        status=409,
        shows="",
    ),
    BadForm(
        "version beyond int8",
        "consumer",
        "/cases/{case}/actions/withdraw",
        {"version": str(BEYOND_INT8)},
        status=409,
        shows="",
    ),
    BadForm(
        "filing names a superscript enterprise",
        "consumer",
        "/cases/new",
        {"enterprise_id": "²", "description": "Leaks."},
        shows="Enter a whole number.",
    ),
    BadForm(
        "filing names an enterprise beyond int8",
        "consumer",
        "/cases/new",
        {"enterprise_id": str(BEYOND_INT8), "description": "Leaks."},
        shows="This number is out of range.",
    ),
    BadForm("unsubscribe superscript", "anonymous", "/unsubscribe", {"u": "²", "k": "x", "t": "y"}, 404, ""),
    BadForm("unsubscribe beyond int8", "anonymous", "/unsubscribe", {"u": str(BEYOND_INT8), "k": "x", "t": "y"}, 404, ""),
    BadForm("calendar day NUL", "admin", "/admin/calendar/2026-01-01%00/remove", {}, 404, ""),
]


@pytest.mark.parametrize("bad", FORM_CORPUS, ids=[bad.name for bad in FORM_CORPUS])
async def test_forms_refuse_bad_input(world: World, bad: BadForm) -> None:
    browser = world.browsers[bad.who]
    token = await csrf_token(browser)
    form = {name: value.replace("{version}", str(world.objects["version"])) for name, value in bad.form.items()}
    before = await stored()
    multipart = bad.path == "/cases/new"  # the filing form carries files
    response = await browser.post(
        _path(world, bad.path),
        data={**form, "_csrf_token": token},
        files={"evidence": ("", b"", "application/octet-stream")} if multipart else None,
    )
    assert response.status_code == bad.status, response.text[:2000]
    assert bad.shows in response.text
    assert await stored() == before


async def test_marking_read_up_to_a_superscript_is_no_crash(world: World) -> None:
    browser = world.browsers["consumer"]
    response = await browser.post("/inbox/read", data={"up_to_id": "²", "_csrf_token": await csrf_token(browser)})
    assert response.status_code == 302


async def test_a_filing_over_the_file_limit_stores_nothing(world: World) -> None:
    """The 21st file used to be refused after the case and 20 files were stored."""
    browser = world.browsers["consumer"]
    fields = {
        "enterprise_id": str(world.objects["enterprise_id"]),
        "category": "not_as_described",
        "order_number": "JD-1",
        "platform": "JD Worldwide",
        "purchase_date": "2026-10-20",
        "product_name": "Thermos",
        "desired_remedy": "refund",
        "description": "It leaks.",
        "_csrf_token": await csrf_token(browser),
    }
    files = [("evidence", (f"photo{index}.png", PNG, "image/png")) for index in range(MAX_EVIDENCE_PER_CASE + 1)]
    before = await stored()
    response = await browser.post("/cases/new", data=fields, files=files)
    assert response.status_code == 422, response.text[:1000]
    assert f"at most {MAX_EVIDENCE_PER_CASE} files" in response.text
    assert await stored() == before
    response = await browser.post("/cases/new", data=fields, files=files[:MAX_EVIDENCE_PER_CASE])
    assert response.status_code == 302  # at the limit, all of it is filed


# --- the case socket -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def socket_server(app: Litestar) -> Iterator[str]:
    server = start_server({"ACCORD_SWEEP_SECONDS": "0"}, log_name="bad-input-server.log")
    yield server.url
    server.stop()


BAD_FRAMES = [
    ("NUL in a message", {"type": "send", "channel": "joint", "text": "a\x00b", "client_id": "c1"}, "invalid"),
    ("NUL in a channel", {"type": "typing", "channel": "joint\x00"}, "invalid"),
    ("read beyond int4", {"type": "read", "channel": "joint", "seq": BEYOND_INT4}, "invalid"),
    ("a list for a type", {"type": ["send"]}, "unknown_type"),
    ("an object for a type", {"type": {"a": 1}}, "unknown_type"),
    ("nested 30,000 deep", "[" * 30_000 + "]" * 30_000, "invalid_json"),  # within the 64 KiB frame limit
    ("nested 40 deep", '{"a":' * 40 + "1" + "}" * 40, "invalid_json"),
]


@pytest.mark.parametrize(("frame", "code"), [(f, c) for _n, f, c in BAD_FRAMES], ids=[n for n, _f, _c in BAD_FRAMES])
async def test_socket_frames_refused_with_an_error_frame(world: World, socket_server: str, frame: Any, code: str) -> None:
    """A bad frame gets an `error` frame, nothing is stored, and the socket stays open for the next one."""
    listener = await Listener.open(socket_server, world.objects["case"], world.tokens["consumer"], after=10**6)
    try:
        before = await stored()
        await listener.socket.send(frame if isinstance(frame, str) else json.dumps(frame))
        error = await listener.wait_for(lambda frame: frame.get("type") == "error")
        assert error["code"] == code and error["detail"]
        assert await stored() == before
        await listener.send(type="send", channel="joint", text="still here", client_id="after-bad-frame")
        await listener.wait_for(lambda frame: frame.get("type") == "ack")
    finally:
        await listener.close()


@pytest.mark.parametrize("after", ["²", "٣", "-1", "1e3", str(BEYOND_INT4), str(BEYOND_INT8), "9" * 40])
async def test_socket_after_is_validated(world: World, socket_server: str, after: str) -> None:
    """A bad `?after=` is refused cleanly (close 4400, nothing sent before it), not a crash mid-replay."""
    listener = await Listener.open(socket_server, world.objects["case"], world.tokens["consumer"], after=after)  # type: ignore[arg-type]
    try:
        await listener.wait_until(lambda: listener.closed, timeout=10)
    finally:
        await listener.close()
    assert (listener.close_code, listener.frames) == (4400, [])


async def test_a_socket_for_a_reference_with_nul_is_refused(world: World, socket_server: str) -> None:
    """No case is called that: 4403 as for any case one may not see (PostgreSQL's refusal crashed it)."""
    listener = await Listener.open(socket_server, "AC%00", world.tokens["consumer"])
    try:
        await listener.wait_until(lambda: listener.closed, timeout=10)
    finally:
        await listener.close()
    assert (listener.close_code, listener.frames) == (4403, [])


async def test_a_nested_auth_frame_is_refused(world: World, socket_server: str) -> None:
    url = socket_server.replace("http://", "ws://") + f"/ws/cases/{world.objects['case']}"
    async with websockets.connect(url) as socket:
        await socket.send("[" * 30_000 + "]" * 30_000)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
