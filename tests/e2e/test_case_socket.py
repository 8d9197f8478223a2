"""The live case conversation over a real server: auth, channel privacy, acks, idempotency, resume."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory


async def token_for(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base) as api:
        return (await api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})).json()["token"]


async def open_socket(base: str, reference: str, token: str, after: int = 0) -> Any:
    socket = await websockets.connect(base.replace("http://", "ws://") + f"/ws/cases/{reference}?after={after}")
    await socket.send(json.dumps({"type": "auth", "token": token}))
    return socket


async def frames_until(socket: Any, predicate: Any, limit: float = 5.0) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(limit):
        while True:
            frame = json.loads(await socket.recv())
            seen.append(frame)
            if predicate(frame):
                return seen


async def setup_case(base: str, make_user: UserFactory) -> tuple[str, dict[str, str]]:
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    tokens = {
        "consumer": await token_for(base, consumer["email"]),
        "merchant": await token_for(base, merchant["email"]),
    }
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {tokens['consumer']}"}) as api:
        body = filing(merchant["enterprise_id"]).model_dump(mode="json", exclude_none=True)
        reference = (await api.post("/api/v1/cases", json=body)).json()["reference"]
    return reference, tokens


async def test_messages_are_acked_after_commit_and_reach_the_other_party(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    consumer = await open_socket(live_server, reference, tokens["consumer"])
    merchant = await open_socket(live_server, reference, tokens["merchant"])
    try:
        await frames_until(merchant, lambda f: f.get("type") == "event" and f["seq"] == 1)  # the filing, replayed
        await consumer.send(
            json.dumps({"type": "send", "channel": "joint", "text": "Hello merchant", "client_id": "c1"})
        )
        ack = await frames_until(consumer, lambda f: f.get("type") == "ack")
        seq = ack[-1]["seq"]
        got = await frames_until(merchant, lambda f: f.get("type") == "event" and f.get("kind") == "message")
        assert got[-1]["text"] == "Hello merchant" and got[-1]["seq"] == seq
        await consumer.send(
            json.dumps({"type": "send", "channel": "joint", "text": "Hello merchant", "client_id": "c1"})
        )
        again = await frames_until(consumer, lambda f: f.get("type") == "ack")
        assert again[-1]["seq"] == seq  # the same message, not a second one
        await consumer.send("not json")
        error = await frames_until(consumer, lambda f: f.get("type") == "error")
        assert error[-1]["code"] == "invalid_json"
        await consumer.send(json.dumps({"type": "dance"}))
        assert (await frames_until(consumer, lambda f: f.get("type") == "error"))[-1]["code"] == "unknown_type"
    finally:
        await consumer.close()
        await merchant.close()


async def test_resume_after_a_sequence_number_gets_exactly_the_missed_events(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    async with httpx.AsyncClient(
        base_url=live_server, headers={"authorization": f"Bearer {tokens['consumer']}"}
    ) as api:
        seqs = [
            (await api.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": f"m{i}"})).json()[
                "seq"
            ]
            for i in range(5)
        ]
    socket = await open_socket(live_server, reference, tokens["merchant"], after=seqs[1])
    try:
        frames = await frames_until(socket, lambda f: f.get("type") == "event" and f["seq"] == seqs[-1])
        events = [f["seq"] for f in frames if f.get("type") == "event"]
        assert events == seqs[2:]
    finally:
        await socket.close()


async def test_caucus_of_the_merchant_never_reaches_the_consumer_socket(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    consumer = await open_socket(live_server, reference, tokens["consumer"])
    try:
        await frames_until(consumer, lambda f: f.get("type") == "event" and f["seq"] == 1)
        # Only a mediator opens caucus channels; the merchant may not write there before one is assigned,
        # and the consumer may never read it: asking to send there is refused without any content leaking.
        merchant = await open_socket(live_server, reference, tokens["merchant"])
        await merchant.send(
            json.dumps({"type": "send", "channel": "caucus:merchant", "text": "SECRET", "client_id": "x"})
        )
        refused = await frames_until(merchant, lambda f: f.get("type") in ("error", "ack"))
        assert refused[-1]["type"] == "error"
        await merchant.send(json.dumps({"type": "send", "channel": "joint", "text": "visible", "client_id": "y"}))
        seen = await frames_until(consumer, lambda f: f.get("type") == "event" and f.get("text") == "visible")
        assert all("SECRET" not in json.dumps(frame) for frame in seen)
        await merchant.close()
    finally:
        await consumer.close()


async def test_strangers_are_closed_with_4401_or_4403_before_any_data(live_server: str, make_user: UserFactory) -> None:
    reference, _tokens = await setup_case(live_server, make_user)
    stranger = await make_user("consumer")
    for token, code in (("acc_wrong", 4401), (await token_for(live_server, stranger["email"]), 4403)):
        socket = await open_socket(live_server, reference, token)
        try:
            await socket.recv()
            raise AssertionError("data was sent")
        except websockets.exceptions.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == code
