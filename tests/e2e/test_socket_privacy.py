"""Channel privacy over real case sockets, for every relation a person can have to a case (DESIGN §4, §5).

One case with a mediator assigned; a marker message and a marker evidence description in every channel.
Each person has one socket open before anything is posted (live delivery) and one opened afterwards with
after=0 (replay). The expectations come from the table below, written out by hand, not from the app's
own `readable_channels`, so a change there that widens or narrows visibility fails here by name.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from accord.clock import SystemClock
from accounts.credentials import issue_token
from tests.cases.conftest import act, filing
from tests.cases.test_api import PNG
from tests.clean_database import kept_rows
from tests.conftest import create_person, make_platform, unique_email
from tests.e2e.listener import Listener, is_event

JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL = "joint", "caucus:consumer", "caucus:merchant", "internal"
CHANNELS = (JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL)
# person → (role, channels their socket must show). "parties" carries the case's state changes.
PEOPLE: dict[str, tuple[str, set[str]]] = {
    "consumer": ("consumer", {"parties", JOINT, CAUCUS_CONSUMER}),
    "merchant": ("merchant", {"parties", JOINT, CAUCUS_MERCHANT}),
    "mediator": ("mediator", {"parties", JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL}),
    # Need to know: a mediator who does not hold the case sees what the queue needs; registrars see all.
    "other_mediator": ("mediator", {"parties", JOINT}),
    "admin": ("admin", {"parties", JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL}),
    # An agent of the platform the case names answers for its merchant in the open: the joint thread only.
    "platform": ("merchant", {"parties", JOINT}),
    "stranger_consumer": ("consumer", set()),
    "stranger_merchant": ("merchant", set()),
    "stranger_platform": ("merchant", set()),  # an agent of another platform
}
PLATFORMS = ("platform", "stranger_platform")  # their enterprises are platforms
MEMBERS = [person for person, (_role, readable) in PEOPLE.items() if readable]
STRANGERS = [person for person, (_role, readable) in PEOPLE.items() if not readable]
# Who posts a marker message in which channel: every writer of every channel.
MESSAGES = [
    (JOINT, "consumer"),
    (JOINT, "merchant"),
    (JOINT, "mediator"),
    (JOINT, "platform"),
    (CAUCUS_CONSUMER, "consumer"),
    (CAUCUS_CONSUMER, "mediator"),
    (CAUCUS_MERCHANT, "merchant"),
    (CAUCUS_MERCHANT, "mediator"),
    (INTERNAL, "mediator"),
]
EVIDENCE = [
    (JOINT, "consumer"),
    (JOINT, "platform"),
    (CAUCUS_CONSUMER, "consumer"),
    (CAUCUS_MERCHANT, "merchant"),
    (INTERNAL, "mediator"),
]
# Writes that must be refused on the socket; their text must then reach nobody.
REFUSED = [
    ("consumer", CAUCUS_MERCHANT),
    ("consumer", INTERNAL),
    ("merchant", CAUCUS_CONSUMER),
    ("merchant", INTERNAL),
    ("admin", JOINT),
    ("admin", CAUCUS_CONSUMER),
    ("admin", INTERNAL),
    ("other_mediator", JOINT),
    ("other_mediator", CAUCUS_MERCHANT),
    ("other_mediator", INTERNAL),
    ("platform", CAUCUS_CONSUMER),
    ("platform", CAUCUS_MERCHANT),
    ("platform", INTERNAL),
]
# Parties see staff in typing and read frames by their role, not their name (need to know).
STAFF_SHOWN_TO_PARTIES = {"mediator": "mediator", "other_mediator": "mediator", "admin": "registrar"}
# Ephemeral frames: (sender, type, channel). Senders try channels they cannot read too; those reach nobody.
SIGNALS = [
    ("mediator", "typing", JOINT),
    ("mediator", "typing", CAUCUS_CONSUMER),
    ("mediator", "typing", CAUCUS_MERCHANT),
    ("mediator", "typing", INTERNAL),
    ("mediator", "read", CAUCUS_MERCHANT),
    ("mediator", "read", INTERNAL),
    ("other_mediator", "typing", INTERNAL),
    ("consumer", "typing", JOINT),
    ("consumer", "typing", CAUCUS_CONSUMER),
    ("consumer", "typing", CAUCUS_MERCHANT),
    ("consumer", "typing", INTERNAL),
    ("consumer", "read", CAUCUS_MERCHANT),
    ("merchant", "typing", CAUCUS_MERCHANT),
    ("merchant", "typing", CAUCUS_CONSUMER),
    ("merchant", "read", JOINT),
    ("merchant", "read", INTERNAL),
    ("admin", "typing", INTERNAL),
    ("admin", "read", INTERNAL),
    ("platform", "typing", JOINT),
    ("platform", "typing", CAUCUS_MERCHANT),
    ("platform", "read", INTERNAL),
]
MODES = ("live", "replay")


def marker(kind: str, channel: str, person: str, run: str) -> str:
    """Text that names its channel, unique to this run, and no other marker's substring."""
    return f"<{kind}|{channel}|{person}|{run}>"


def signal_receivers(sender: str, channel: str) -> set[str]:
    if channel not in PEOPLE[sender][1]:
        return set()
    return {person for person in MEMBERS if person != sender and channel in PEOPLE[person][1]}


@dataclass
class Scenario:
    names: dict[str, str]
    run: str
    end_seq: int
    sockets: dict[tuple[str, str], Listener] = field(default_factory=dict)
    message_markers: dict[str, set[str]] = field(default_factory=dict)  # channel → texts
    evidence_markers: dict[str, set[str]] = field(default_factory=dict)  # channel → descriptions
    refused: list[str] = field(default_factory=list)
    end_text: str = ""

    def markers_outside(self, readable: set[str]) -> list[str]:
        hidden = [c for c in CHANNELS if c not in readable]
        return [text for c in hidden for text in self.message_markers[c] | self.evidence_markers[c]] + self.refused


async def _make_person(person: str, role: str, run: str) -> dict[str, Any]:
    """A user with a name unique to this run and an API token; merchants get an enterprise of their own."""
    clock = SystemClock()
    # Typing and read frames name people by display name: unique to this run.
    user = await create_person(role, clock, email=unique_email(person), display_name=f"{person} {run}")
    return {**user, "token": await issue_token(user["id"], "tests", clock)}


async def _open_all(base: str, reference: str, people: dict[str, dict[str, Any]]) -> dict[str, Listener]:
    opened = await asyncio.gather(*(Listener.open(base, reference, people[p]["token"]) for p in PEOPLE))
    return dict(zip(PEOPLE, opened, strict=True))


@pytest.fixture(scope="module")
async def scenario(live_server: str) -> AsyncIterator[Scenario]:
    run = uuid.uuid4().hex[:8]
    people: dict[str, dict[str, Any]] = {}
    for person, (role, _readable) in PEOPLE.items():
        people[person] = await _make_person(person, role, run)
    for person in PLATFORMS:
        await make_platform(people[person]["enterprise_id"])

    def api(person: str) -> httpx.AsyncClient:
        headers = {"authorization": f"Bearer {people[person]['token']}"}
        return httpx.AsyncClient(base_url=live_server, headers=headers, timeout=20)

    async with api("consumer") as consumer, api("merchant") as merchant, api("mediator") as mediator:
        filed = await consumer.post(
            "/api/v1/cases",
            json=filing(
                people["merchant"]["enterprise_id"], platform_enterprise_id=people["platform"]["enterprise_id"]
            ).model_dump(mode="json", exclude_none=True),
        )
        assert filed.status_code == 201, filed.text
        case = filed.json()
        assert (await act(merchant, case, "respond", kind="reject", text="Not our fault.")).status_code == 200
        assert (await act(consumer, case, "request_mediation", reason="No agreement.")).status_code == 200
        claimed = await act(mediator, case, "claim")
        assert claimed.status_code == 200 and claimed.json()["mediator"]["id"] == people["mediator"]["id"]
        assert (await act(mediator, case, "admit")).status_code == 200
    reference = case["reference"]

    scenario = Scenario(names={p: people[p]["display_name"] for p in PEOPLE}, run=run, end_seq=0)
    live = await _open_all(live_server, reference, people)
    scenario.sockets.update({(p, "live"): socket for p, socket in live.items()})
    try:
        # A presence frame comes through the case's channel after the replay: the socket is subscribed.
        await asyncio.gather(*(live[p].wait_for(lambda f: f.get("type") == "presence") for p in MEMBERS))

        for channel, person in MESSAGES:
            text = marker("message", channel, person, run)
            async with api(person) as client:
                posted = await client.post(
                    f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": text}
                )
            assert posted.status_code == 201, (channel, person, posted.text)
            scenario.message_markers.setdefault(channel, set()).add(text)
        for channel, person in EVIDENCE:
            description = marker("evidence", channel, person, run)
            async with api(person) as client:
                uploaded = await client.post(
                    f"/api/v1/cases/{reference}/evidence",
                    files={"file": ("proof.png", PNG, "image/png")},
                    data={"channel": channel, "description": description},
                )
            assert uploaded.status_code == 201, (channel, person, uploaded.text)
            scenario.evidence_markers.setdefault(channel, set()).add(description)

        for person, channel in REFUSED:
            text = marker("refused", channel, person, run)
            scenario.refused.append(text)
            since = len(live[person].frames)
            await live[person].send(type="send", channel=channel, text=text, client_id=f"refused-{channel}")
            answer = await live[person].wait_for(lambda f: f.get("type") in ("ack", "error"), since=since)
            assert answer["type"] == "error" and answer["code"] == "forbidden", (person, channel, answer)

        for person, kind, channel in SIGNALS:
            frame: dict[str, Any] = {"type": kind, "channel": channel}
            if kind == "read":
                frame["seq"] = 3  # any number: the server passes it on, to readers of the channel only
            await live[person].send(**frame)
        for person in {sender for sender, _kind, _channel in SIGNALS}:
            # A socket's frames are handled in order: once this is answered, its signals have gone out.
            since = len(live[person].frames)
            await live[person].send(type="barrier")
            await live[person].wait_for(lambda f: f.get("type") == "error", since=since)

        # The last event, readable by every member: once a socket has it, it has everything before it.
        scenario.end_text = marker("message", JOINT, "end", run)
        await live["mediator"].send(type="send", channel=JOINT, text=scenario.end_text, client_id="end")
        ack = await live["mediator"].wait_for(lambda f: f.get("type") == "ack" and f["client_id"] == "end")
        scenario.end_seq = ack["seq"]
        scenario.message_markers[JOINT].add(scenario.end_text)
        await asyncio.gather(*(live[p].wait_for(lambda f: is_event(f, seq=ack["seq"])) for p in MEMBERS))

        replay = await _open_all(live_server, reference, people)
        scenario.sockets.update({(p, "replay"): socket for p, socket in replay.items()})
        await asyncio.gather(*(replay[p].wait_for(lambda f: is_event(f, seq=ack["seq"])) for p in MEMBERS))
        await asyncio.gather(*(scenario.sockets[p, mode].wait_closed() for p in STRANGERS for mode in MODES))
        async with kept_rows():
            yield scenario
    finally:
        await asyncio.gather(*(socket.close() for socket in scenario.sockets.values()))


def _expected(markers: dict[str, set[str]], readable: set[str]) -> set[tuple[str, str]]:
    return {(channel, text) for channel, texts in markers.items() if channel in readable for text in texts}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("person", MEMBERS)
async def test_socket_shows_exactly_the_messages_and_evidence_of_readable_channels(
    scenario: Scenario, person: str, mode: str
) -> None:
    readable = PEOPLE[person][1]
    socket = scenario.sockets[person, mode]
    messages = {(f["channel"], f["text"]) for f in socket.events("message")}
    evidence = {(f["channel"], f["description"]) for f in socket.events("evidence")}
    assert messages == _expected(scenario.message_markers, readable)
    assert evidence == _expected(scenario.evidence_markers, readable)
    seqs = [f["seq"] for f in socket.events()]
    assert seqs == sorted(set(seqs)), "events out of order or twice"
    assert seqs[-1] == scenario.end_seq
    assert {f["channel"] for f in socket.events()} <= readable
    assert {f["kind"] for f in socket.events()} >= {"state", "offer", "message", "evidence"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("person", MEMBERS)
async def test_no_frame_carries_text_of_a_channel_the_person_cannot_read(
    scenario: Scenario, person: str, mode: str
) -> None:
    hidden = scenario.markers_outside(PEOPLE[person][1])
    assert hidden, "every member has something hidden from them: a refused write at least"
    for frame in scenario.sockets[person, mode].frames:
        dumped = json.dumps(frame, ensure_ascii=False)
        leaked = [text for text in hidden if text in dumped]
        assert not leaked, f"{person} ({mode}) got {frame}"


@pytest.mark.parametrize("person", MEMBERS)
async def test_typing_and_read_frames_reach_exactly_the_readers_of_their_channel(
    scenario: Scenario, person: str
) -> None:
    got = {
        (f["type"], f["user"], f["channel"])
        for f in scenario.sockets[person, "live"].frames
        if f.get("type") in ("typing", "read")
    }
    def shown(sender: str) -> str:
        if PEOPLE[person][0] in ("consumer", "merchant") and sender in STAFF_SHOWN_TO_PARTIES:
            return STAFF_SHOWN_TO_PARTIES[sender]
        return scenario.names[sender]

    expected = {
        (kind, shown(sender), channel) for sender, kind, channel in SIGNALS if person in signal_receivers(sender, channel)
    }
    assert got == expected
    assert not [f for f in scenario.sockets[person, "replay"].frames if f.get("type") in ("typing", "read")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("person", STRANGERS)
async def test_strangers_are_closed_with_4403_before_any_data(scenario: Scenario, person: str, mode: str) -> None:
    socket = scenario.sockets[person, mode]
    assert socket.close_code == 4403
    assert socket.frames == []


@pytest.mark.parametrize("mode", MODES)
async def test_the_platform_speaks_as_the_platform(scenario: Scenario, mode: str) -> None:
    said = marker("message", JOINT, "platform", scenario.run)
    frames = [f for f in scenario.sockets["consumer", mode].events("message") if f["text"] == said]
    assert [f["author"]["role"] for f in frames] == ["platform"]
