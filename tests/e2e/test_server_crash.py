"""kill -9 of the server in the middle of a burst of socket messages (DESIGN §5: persist before ack).

Ten clients, the two parties of five cases, each fire 50 `send` frames as fast as they can. Once enough
acks have come back, the server gets SIGKILL. After a restart every acked message must be there under
its acked sequence number, nothing twice, with an intact hash chain; clients that then send all their
frames again (as the case page does with the ones it kept) get the first seq for each client_id back.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from cases.tables import Case, Message
from tests.cases.conftest import filing
from tests.conftest import UserFactory
from tests.e2e.listener import Frame, Listener
from tests.e2e.test_case_socket import all_messages, token_for
from tests.servers import ACCORD, Server, start_server

CASES, PER_CLIENT, KILL_AFTER_ACKS = 5, 50, 150
ENV = {"ACCORD_SWEEP_SECONDS": "0", "ACCORD_MESSAGES_PER_10_SECONDS": "1000"}


class Client:
    """One party of one case and the 50 messages it sends."""

    def __init__(self, reference: str, role: str, token: str) -> None:
        self.reference, self.role, self.token = reference, role, token
        self.texts = {f"{reference}-{role}-{i}": f"burst {reference} {role} {i}" for i in range(PER_CLIENT)}
        self.socket: Listener | None = None

    def acks(self) -> dict[str, int]:
        assert self.socket is not None
        return {f["client_id"]: f["seq"] for f in self.socket.frames if f.get("type") == "ack"}

    async def fire(self) -> None:
        assert self.socket is not None
        for client_id, text in self.texts.items():
            await self.socket.send(type="send", channel="joint", text=text, client_id=client_id)


async def file_case(server: Server, make_user: UserFactory) -> tuple[Client, Client]:
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    tokens = await asyncio.gather(token_for(server.url, consumer["email"]), token_for(server.url, merchant["email"]))
    async with httpx.AsyncClient(base_url=server.url, headers={"authorization": f"Bearer {tokens[0]}"}) as api:
        filed = await api.post(
            "/api/v1/cases", json=filing(merchant["enterprise_id"]).model_dump(mode="json", exclude_none=True)
        )
    assert filed.status_code == 201, filed.text
    reference = filed.json()["reference"]
    return Client(reference, "consumer", tokens[0]), Client(reference, "merchant", tokens[1])


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers this test starts; whatever still runs at the end is shut down."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


async def verify_case_cli(reference: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        ACCORD,
        "verify-case",
        reference,
        env={**os.environ, **ENV},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def check_stored(base: str, clients: list[Client], acked: dict[str, int]) -> dict[str, dict[str, int]]:
    """Per case: every acked message under its seq with its text, nothing twice, a verified chain.
    Returns text → seq of what each case holds."""
    held: dict[str, dict[str, int]] = {}
    sent = {text for client in clients for text in client.texts.values()}
    for client in clients[::2]:  # one party per case reads it: every message is in the joint channel
        reference = client.reference
        async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {client.token}"}) as api:
            messages = await all_messages(api, reference)
            record = (await api.get(f"/api/v1/cases/{reference}/record")).json()
        texts = [m["text"] for m in messages]
        assert len(texts) == len(set(texts)), f"{reference}: a message stored twice"
        assert set(texts) <= sent
        held[reference] = {m["text"]: m["seq"] for m in messages}
        assert record["verified"] is True and record["first_bad_seq"] is None, reference
        events = {event["seq"]: event for event in record["events"]}
        assert sorted(events) == list(range(1, len(events) + 1))
        # Message and record event commit together: one event per stored message, with its text.
        assert sum(event["type"] == "message" for event in events.values()) == len(messages)
        for text, seq in held[reference].items():
            assert events[seq]["type"] == "message" and events[seq]["data"] == {"text": text}
        for party in (c for c in clients if c.reference == reference):
            for client_id, text in party.texts.items():
                if client_id in acked:
                    stored = held[reference].get(text)
                    assert stored == acked[client_id], f"{client_id}: acked {acked[client_id]}, stored {stored}"
    case_ids = [row["id"] for row in await Case.select(Case.id).where(Case.reference.is_in(list(held)))]
    rows = await Message.select(Message.client_id, Message.text).where(Message.case.is_in(case_ids))
    counts = Counter(row["client_id"] for row in rows)
    assert not [client_id for client_id, n in counts.items() if n > 1], "a client_id stored twice"
    texts_by_id = {client_id: text for client in clients for client_id, text in client.texts.items()}
    assert all(texts_by_id[row["client_id"]] == row["text"] for row in rows)
    return held


async def test_acked_messages_survive_kill_9_mid_burst_once_each_with_a_sound_chain(
    make_user: UserFactory, servers: list[Server]
) -> None:
    first = start_server(ENV, log_name="crash-server-1.log")
    servers.append(first)
    pairs = await asyncio.gather(*(file_case(first, make_user) for _ in range(CASES)))
    clients = [client for pair in pairs for client in pair]

    acks_seen = 0

    def kill_when_enough_acks(frame: Frame) -> None:
        nonlocal acks_seen
        if frame.get("type") == "ack":
            acks_seen += 1
            if acks_seen == KILL_AFTER_ACKS:
                first.process.send_signal(signal.SIGKILL)  # right here, while the other sends are in flight

    sockets = await asyncio.gather(
        *(Listener.open(first.url, c.reference, c.token, on_frame=kill_when_enough_acks) for c in clients)
    )
    for client, socket in zip(clients, sockets, strict=True):
        client.socket = socket
    await asyncio.gather(*(s.wait_for(lambda f: f.get("type") == "presence") for s in sockets))
    # The server dies while these go out: later sends fail, which is the point.
    await asyncio.gather(*(client.fire() for client in clients), return_exceptions=True)
    await asyncio.gather(*(socket.wait_closed(timeout=20) for socket in sockets))
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    assert all(socket.close_code is None for socket in sockets), "no close frame comes from a killed server"

    acked = {client_id: seq for client in clients for client_id, seq in client.acks().items()}
    assert KILL_AFTER_ACKS <= len(acked) < CASES * 2 * PER_CLIENT, f"{len(acked)} acks: the kill came too late"
    for client in clients:
        # One socket's acks come in the order it sent, with rising sequence numbers.
        order = [client_id for client_id in client.texts if client_id in client.acks()]
        assert [client.acks()[client_id] for client_id in order] == sorted(client.acks().values())

    second = start_server(ENV, log_name="crash-server-2.log")
    servers.append(second)
    held = await check_stored(second.url, clients, acked)

    # The clients reconnect and send every frame again, with the same client_ids.
    for client in clients:
        client.socket = await Listener.open(second.url, client.reference, client.token)
    try:
        await asyncio.gather(*(client.fire() for client in clients))
        for client in clients:
            assert client.socket is not None
            await client.socket.wait_until(lambda c=client: len(c.acks()) == PER_CLIENT, timeout=30)
            assert not [f for f in client.socket.frames if f.get("type") == "error"]
            again = client.acks()
            assert {cid: again[cid] for cid in client.texts if cid in acked} == {
                cid: acked[cid] for cid in client.texts if cid in acked
            }, "a resend of an acked message got a different seq"
            stored = held[client.reference]
            assert all(again[cid] == stored[text] for cid, text in client.texts.items() if text in stored)
        final = await check_stored(second.url, clients, {k: v for c in clients for k, v in c.acks().items()})
        assert all(len(texts) == 2 * PER_CLIENT for texts in final.values())
        # The command-line check reads the whole chain (every channel), crash-time events included.
        verified = await asyncio.gather(*(verify_case_cli(reference) for reference in final))
        failed = [(code, output) for code, output in verified if code != 0 or "record verified" not in output]
        assert not failed, failed  # only the failures: a list of all five was cut short where it mattered
    finally:
        await asyncio.gather(*(client.socket.close() for client in clients if client.socket is not None))
