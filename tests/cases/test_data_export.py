"""`GET /api/v1/me/export` (PIPL, issue 17 §5): a ZIP of the person's profile, each of their cases exactly as
the API shows it to them (channels filtered by cases.access) and the files they uploaded themselves."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import pytest

from accounts.tables import PRIVACY_NOTICE_VERSION, User
from tests.accounts.test_closing import _act, _file, _say
from tests.cases.test_api import PNG
from tests.conftest import PASSWORD, ClientFactory, SignedIn, login


async def _upload(client: httpx.AsyncClient, reference: str, channel: str, marker: str) -> int:
    response = await client.post(
        f"/api/v1/cases/{reference}/evidence",
        files={"file": ("photo.png", PNG + marker.encode(), "image/png")},
        data={"channel": channel, "description": f"described {marker}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
async def world(api_client: SignedIn, new_client: ClientFactory) -> dict[str, Any]:
    """A case in mediation with words and files in every channel, and a second case just filed."""
    run = uuid.uuid4().hex[:8]
    people = {}
    for role in ("consumer", "merchant", "mediator", "other_consumer"):
        client, user = await api_client("consumer" if role == "other_consumer" else role)
        people[role] = (client, user)
    consumer, merchant, mediator = people["consumer"][0], people["merchant"][0], people["mediator"][0]
    reference = await _file(consumer, people["merchant"][1]["enterprise_id"])
    await _act(merchant, reference, "respond", kind="reject", text="It was fine when shipped.")
    await _act(consumer, reference, "request_mediation", reason="No agreement.")
    await _act(mediator, reference, "claim")
    await _act(mediator, reference, "admit")
    said = {
        "joint": f"joint-{run}",
        "caucus:consumer": f"consumer-caucus-{run}",
        "caucus:merchant": f"merchant-caucus-{run}",
        "internal": f"internal-note-{run}",
    }
    await _say(consumer, reference, "joint", said["joint"])
    await _say(consumer, reference, "caucus:consumer", said["caucus:consumer"])
    await _say(merchant, reference, "caucus:merchant", said["caucus:merchant"])
    await _say(mediator, reference, "internal", said["internal"])
    files = {
        "consumer joint": await _upload(consumer, reference, "joint", f"file-consumer-joint-{run}"),
        "consumer caucus": await _upload(consumer, reference, "caucus:consumer", f"file-consumer-caucus-{run}"),
        "merchant joint": await _upload(merchant, reference, "joint", f"file-merchant-joint-{run}"),
        "merchant caucus": await _upload(merchant, reference, "caucus:merchant", f"file-merchant-caucus-{run}"),
    }
    second = await _file(consumer, people["merchant"][1]["enterprise_id"])
    return {"people": people, "reference": reference, "second": second, "said": said, "files": files, "run": run}


async def _export(client: httpx.AsyncClient) -> tuple[zipfile.ZipFile, bytes]:
    response = await client.get("/api/v1/me/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="accord-data-')
    assert response.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    everything = b"".join(archive.read(name) for name in archive.namelist())
    return archive, everything


def _evidence_files(archive: zipfile.ZipFile, reference: str) -> set[int]:
    prefix = f"evidence/{reference}/"
    return {int(name[len(prefix) :].split("-")[0]) for name in archive.namelist() if name.startswith(prefix)}


async def test_a_consumer_exports_their_cases_without_the_merchants_private_words(world: dict[str, Any]) -> None:
    client, user = world["people"]["consumer"]
    archive, everything = await _export(client)
    reference, said, files = world["reference"], world["said"], world["files"]
    assert {"profile.json", f"cases/{reference}.json", f"cases/{world['second']}.json"} <= set(archive.namelist())
    document = json.loads(archive.read(f"cases/{reference}.json"))
    assert set(document) == {"case", "messages", "evidence", "record"}
    # Exactly what the API shows them.
    assert document["case"] == (await client.get(f"/api/v1/cases/{reference}")).json()
    assert document["messages"] == (await client.get(f"/api/v1/cases/{reference}/messages")).json()["items"]
    assert document["record"] == (await client.get(f"/api/v1/cases/{reference}/record")).json()
    texts = {message["text"] for message in document["messages"]}
    assert {said["joint"], said["caucus:consumer"]} <= texts
    for hidden in (said["caucus:merchant"], said["internal"], f"file-merchant-caucus-{world['run']}"):
        assert hidden.encode() not in everything, hidden
    # Their own files only: the merchant's joint file is described but not included.
    assert _evidence_files(archive, reference) == {files["consumer joint"], files["consumer caucus"]}
    described = {row["id"] for row in document["evidence"]}
    assert files["merchant joint"] in described and files["merchant caucus"] not in described
    name = next(n for n in archive.namelist() if n.startswith(f"evidence/{reference}/{files['consumer joint']}-"))
    assert name.endswith(".png") and archive.read(name) == PNG + f"file-consumer-joint-{world['run']}".encode()

    profile = json.loads(archive.read("profile.json"))
    assert profile["user"]["id"] == user["id"] and profile["user"]["email"] == user["email"]
    assert profile["consent"] == {"privacy_notice_version": None, "at": None}  # made by create-user, not registered
    assert [token["this_one"] for token in profile["api_tokens"]] == [True]
    # Their notices (the merchant's reply, the mediator's claim...) as told to them, and their mail settings.
    notices = json.loads(archive.read("notifications.json"))
    assert notices["notifications"] and all(n["about"] for n in notices["notifications"])
    assert {n["about"] for n in notices["notifications"]} <= {reference, world["second"]}
    assert notices["mail"]["daily_digest"] is False and all(notices["mail"]["kinds"].values())
    secret = client.headers["authorization"].removeprefix("Bearer ")
    for never in (secret.encode(), b"token_hash", b"password_hash", b"argon2"):
        assert never not in everything


async def test_a_merchant_agent_exports_their_enterprises_cases_without_caucus_or_notes(world: dict[str, Any]) -> None:
    client, _user = world["people"]["merchant"]
    archive, everything = await _export(client)
    reference, said, files = world["reference"], world["said"], world["files"]
    assert {f"cases/{reference}.json", f"cases/{world['second']}.json"} <= set(archive.namelist())
    texts = {m["text"] for m in json.loads(archive.read(f"cases/{reference}.json"))["messages"]}
    assert {said["joint"], said["caucus:merchant"]} <= texts
    for hidden in (said["caucus:consumer"], said["internal"], f"file-consumer-caucus-{world['run']}"):
        assert hidden.encode() not in everything, hidden
    assert _evidence_files(archive, reference) == {files["merchant joint"], files["merchant caucus"]}


async def test_the_mediator_exports_the_case_they_hold_and_a_stranger_exports_none(world: dict[str, Any]) -> None:
    archive, everything = await _export(world["people"]["mediator"][0])
    assert f"cases/{world['reference']}.json" in archive.namelist()
    assert f"cases/{world['second']}.json" not in archive.namelist()  # never theirs
    assert world["said"]["internal"].encode() in everything
    stranger, _user = world["people"]["other_consumer"]
    archive, _everything = await _export(stranger)
    assert archive.namelist() == ["profile.json", "notifications.json"]
    assert json.loads(archive.read("notifications.json"))["notifications"] == []


async def test_export_needs_a_sign_in_and_works_with_the_browser_session(
    client: httpx.AsyncClient, new_client: ClientFactory, make_user: Any
) -> None:
    assert (await client.get("/api/v1/me/export")).status_code == 401
    user = await make_user("consumer")
    browser = new_client()
    assert (await login(browser, user["email"])).status_code == 302
    archive, _everything = await _export(browser)  # the profile page's button is a plain link to it
    profile = json.loads(archive.read("profile.json"))
    assert [session["this_one"] for session in profile["sessions"]] == [True]


async def test_a_registered_users_export_names_the_notice_they_agreed_to(
    client: httpx.AsyncClient, new_client: ClientFactory
) -> None:
    email = f"exporter-{uuid.uuid4().hex[:6]}@example.com"
    body = {"email": email, "password": PASSWORD, "display_name": "Exporter", "consent": True}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    token = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    archive, _everything = await _export(new_client(authorization=f"Bearer {token.json()['token']}"))
    consent = json.loads(archive.read("profile.json"))["consent"]
    stored = await User.select(User.consent_at).where(User.email == email).first()
    assert consent == {"privacy_notice_version": PRIVACY_NOTICE_VERSION, "at": stored["consent_at"].isoformat()}
