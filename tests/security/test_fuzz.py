"""schemathesis over the whole OpenAPI schema, as every kind of person: no input is a server error (issue 11),
and every answer is one the schema documents (issue 13 §3).

`st run --checks all` goes against a real `accord serve` on the test database, once per role (a test each,
so parallel workers share them out): anonymous, consumer, merchant, mediator and registrar (role `admin`). Each carries
their bearer token for the API and, for the pages, their session cookie with a CSRF pair, so the HTML
forms are fuzzed as well. Path parameters name real objects half of the time (a case in mediation, its
evidence, a listing), so generated input reaches the code behind the 404s; ids a registrar may act on
(users, enterprises) are always the fuzz world's own, so the run never touches other tests' people.

Every finding of every check fails the test: a 5xx (ST101, ST102), any unhandled error the server logged,
and each conformance finding, for every role: a status the operation does not document (ST103), a body
or Content-Type unlike the documented one (ST108, ST105), invalid input accepted (ST201), a schema-valid
request refused (ST202), a wrong `Allow` (ST205). Two allowances, in `_config`: a schema-valid request may
be refused with 422 (ACCEPTED): the schema says what a well-formed request looks like, not the checks only
the domain can make on it (a USCC's or a GTIN's check character, a date after another, a file's real
type), and those refusals are the 422s DESIGN §11 promises; 409 (the state or version) and 404 (objects
invisible to the caller) are schemathesis's own defaults. And an invalid one may be answered with a
redirect (REFUSED): pages send a visitor not signed in to sign in before they read anything. The findings
not mended yet are listed in KNOWN, each for its operation and codes only.

The run is bounded in `make test`: the coverage phase (each parameter's boundary values, wrong types and
missing parts, the same every run) and FUZZ_EXAMPLES random inputs per operation, default 1 (each one more
costs a role about 4 s of Hypothesis generating); the methods an operation does not have are sent as anonymous
only, since the router answers them with 405 before anyone is asked who they are. `make fuzz` is long: every
phase, stateful sequences too, FUZZ_EXAMPLES=200, every method as every role.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from accord.auth import CSRF_COOKIE, SESSION_COOKIE
from accord.clock import SystemClock
from accounts.credentials import issue_token, start_session
from tests.cases.conftest import Cast, file_case, to_mediation
from tests.cases.test_api import PNG
from tests.clean_database import kept_rows
from tests.conftest import create_person
from tests.servers import ARTIFACTS, start_server

ST = str(Path(sys.executable).with_name("st"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
# Stateful sequences take the longest: `make fuzz` runs them, `make test` the per-operation phases
# (coverage: every parameter's boundary and wrong-type values; fuzzing: EXAMPLES random inputs).
PHASES = os.environ.get("FUZZ_PHASES", "coverage,fuzzing")
ROLES = ("anonymous", "consumer", "merchant", "mediator", "admin")
# Who is sent the methods an operation does not have (405 and its Allow, ST205): every role in `make fuzz`.
UNEXPECTED_METHODS_AS = os.environ.get("FUZZ_UNEXPECTED_METHODS_AS", "anonymous").split(",")
# Each ends the credential that calls it: they are sent with a spare one, so the rest of the run keeps its own.
ENDING = (("POST", "/logout"), ("DELETE", "/api/v1/auth/token"), ("POST", "/profile/tokens/{token_id}/revoke"))
# What schemathesis accepts for a schema-valid request by default, and 422.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
# What it accepts as the refusal of an invalid one by default, and 302: a page sends a visitor not signed
# in to the sign-in page before it reads anything, and a form names its errors on the page it returns to.
REFUSED = ["302", "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
# Findings known and not yet mended (issue 13 §3, listed in its closing note), by operation: each is
# allowed only its codes here; any other finding fails.
KNOWN = {
    # Forms whose fields are all optional: an empty body still makes a token or an invitation link (200).
    "POST /profile/tokens": {"ST201"},
    "POST /agency/invitations": {"ST201"},
    # A `seq` that is no integer matches no route: the router's 404 page, not the open data's JSON error.
    "GET /registry/log/{seq}/proof": {"ST105"},
}


@dataclass
class Credentials:
    token: str
    session: str


@dataclass
class FuzzWorld:
    people: dict[str, Credentials]
    spares: dict[str, Credentials]  # for the operations that end the credential calling them
    csrf: str
    objects: dict[str, list[Any]]  # path parameter -> real values
    owned: dict[str, list[Any]]  # path parameters always bound to the fuzz world's own objects


@pytest.fixture(scope="module")
async def fuzz_world(app: Litestar) -> AsyncIterator[FuzzWorld]:
    """The fuzz world's own people, and a case between them in mediation (the mediator holds it)."""
    clock = SystemClock()  # the real server runs on the system clock: sessions must be fresh for it
    people = {role: await create_person(role, clock, display_name=f"Fuzz {role}") for role in ROLES[1:]}

    async def credentials(user_id: int) -> Credentials:
        return Credentials(await issue_token(user_id, "fuzz", clock), await start_session(user_id, clock))

    world = FuzzWorld(
        people={role: await credentials(person["id"]) for role, person in people.items()},
        spares={role: await credentials(person["id"]) for role, person in people.items()},
        csrf="",
        objects={},
        owned={
            "user_id": [people[role]["id"] for role in ("consumer", "merchant", "mediator")],
            "enterprise_id": [people["merchant"]["enterprise_id"]],
        },
    )
    clients = {
        role: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver.local",
            headers={"authorization": f"Bearer {world.people[role].token}"},
        )
        for role in people
    }
    cast = Cast(**clients, enterprise_id=people["merchant"]["enterprise_id"])
    case = await to_mediation(cast)
    upload = await cast.consumer.post(
        f"/api/v1/cases/{case['reference']}/evidence", files={"file": ("box.png", PNG, "image/png")}
    )
    listing = await cast.admin.post(
        "/api/v1/registry/listings",
        json={"enterprise_id": cast.enterprise_id, "violation": "counterfeit", "facts": "Fake earbuds, says a case."},
    )
    assert upload.status_code == listing.status_code == 201, (upload.text, listing.text)
    world.objects = {
        "reference": [case["reference"], (await file_case(cast))["reference"]],
        "evidence_id": [upload.json()["id"]],
        "listing_id": [listing.json()["id"]],
    }
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
    world.csrf = (await anonymous.get("/login")).cookies[CSRF_COOKIE]  # signed with the secret the server shares
    async with kept_rows():
        yield world
    for client in [*clients.values(), anonymous]:
        await client.aclose()


@pytest.fixture(scope="module")
def fuzz_server(app: Litestar) -> Iterator[tuple[str, Path]]:
    server = start_server({"ACCORD_SWEEP_SECONDS": "0"}, log_name="fuzz-server.log")
    assert server.log is not None
    yield server.url, server.log
    server.stop()


def _config(world: FuzzWorld, role: str) -> str:
    """schemathesis.toml for one role: its headers (spare ones for ENDING), real path parameters."""
    lines = [
        "continue-on-failure = true",  # a documentation finding must not stop the inputs of its operation
        f"headers = {_toml(_headers(world, world.people.get(role)))}",
        "[checks.positive_data_acceptance]",  # see the module's doc: the domain's own checks answer 422
        f"expected-statuses = {json.dumps(ACCEPTED)}",
        "[checks.negative_data_rejection]",
        f"expected-statuses = {json.dumps(REFUSED)}",
    ]
    if role not in UNEXPECTED_METHODS_AS:
        lines += ["[phases.coverage]", "unexpected-methods = []"]
    lines.append("[parameters]")
    for name, values in {**world.objects, **world.owned}.items():
        probability = 1.0 if name in world.owned else 0.5
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = {probability} }}')
    for name, values in {**world.objects, **world.owned}.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    lines += [
        "[[operations]]",
        f"include-name = {json.dumps([f'{method} {path}' for method, path in ENDING])}",
        f"headers = {_toml(_headers(world, world.spares.get(role)))}",
    ]
    return "\n".join(lines) + "\n"


def _headers(world: FuzzWorld, credentials: Credentials | None) -> dict[str, str]:
    """Bearer token for the API; session cookie and the CSRF pair for the pages."""
    headers = {"X-CSRFToken": world.csrf, "Cookie": f"{CSRF_COOKIE}={world.csrf}"}
    if credentials:
        headers["Authorization"] = f"Bearer {credentials.token}"
        headers["Cookie"] += f"; {SESSION_COOKIE}={credentials.session}"
    return headers


def _toml(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{json.dumps(key)} = {json.dumps(value)}" for key, value in table.items()) + " }"


def _run(url: str, world: FuzzWorld, role: str) -> list[str]:
    """One `st run --checks all` as `role`: the failures it reported."""
    with tempfile.TemporaryDirectory(prefix="accord-fuzz-") as folder:
        config, report = Path(folder) / "schemathesis.toml", Path(folder) / "junit.xml"
        config.write_text(_config(world, role))
        # One worker thread: with two, Hypothesis parses lambdas' sources in both at once, and CPython 3.11's
        # ast module is not thread-safe ("AST constructor recursion depth mismatch", a KeyError in its cache),
        # which schemathesis reports as a failure of an operation the server answered well.
        command = [
            *(ST, "--config-file", str(config), "run", f"{url}/schema/openapi.json"),
            *("--checks", "all", "--phases", PHASES, "--max-examples", str(EXAMPLES), "--workers", "1"),
            *("--generation-database", "none", "--suppress-health-check", "all", "--no-color"),
            *("--report", "junit", "--report-junit-path", str(report)),
        ]
        finished = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=900)
        assert report.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
        print(role, finished.stdout.strip().splitlines()[-1].strip(" ="))
        return _failures(report)


def _failures(report: Path) -> list[str]:
    """Each failed operation but the KNOWN ones: its failure codes, its name and what schemathesis said (the
    first lines); an error (the request itself failed) is "error"."""
    found = []
    for case in ElementTree.parse(report).iter("testcase"):
        for failure in case.iter("failure"):
            codes = {code.strip() for code in (failure.get("message") or "").split(",")}
            if codes <= KNOWN.get(case.get("name", ""), set()):
                print("  known:", sorted(codes), case.get("name"))
                continue
            said = "\n      ".join((failure.text or "").strip().splitlines()[:30])
            found.append(f"[{failure.get('message')}] {case.get('name')}\n      {said}")
        for error in case.iter("error"):
            found.append(f"[error] {case.get('name')}: {error.get('message') or error.text}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_the_server_answers_every_input_as_its_schema_says(
    fuzz_world: FuzzWorld, fuzz_server: tuple[str, Path], role: str
) -> None:
    url, log = fuzz_server
    logged_before = log.stat().st_size
    failures = _run(url, fuzz_world, role)
    with log.open() as server_log:  # what the server logged during this role's run
        server_log.seek(logged_before)
        logged = [line for line in server_log.read().splitlines() if "unhandled error" in line]
    assert not failures and not logged, "\n".join([*failures, *logged, f"see {ARTIFACTS / log.name}"])
