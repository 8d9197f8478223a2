"""The live case conversation over a real server: auth, channel privacy, acks, idempotency, resume."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from accord.settings import get_settings
from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.listener import Listener, is_event


async def token_for(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base) as api:
        return (await api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})).json()["token"]


async def session_cookie(base: str, email: str) -> str:
    """Sign in through the login form like a browser; the Cookie header of that session."""
    async with httpx.AsyncClient(base_url=base) as browser:
        await browser.get("/login")
        response = await browser.post(
            "/login",
            data={"email": email, "password": PASSWORD, "next": "/", "_csrf_token": browser.cookies["accord_csrf"]},
        )
        assert response.status_code == 302
        return f"accord_session={browser.cookies['accord_session']}"


async def refused_code(url: str, headers: dict[str, str]) -> int:
    """The close code of a socket the server must refuse before sending anything (4401/4403)."""
    try:
        async with websockets.connect(url, additional_headers=headers) as socket:
            await socket.recv()
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame"
        return closed.rcvd.code
    raise AssertionError("the socket was accepted and sent data")


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
        await consumer.send(json.dumps({"type": "send", "channel": "joint", "text": "x" * 5001, "client_id": "long"}))
        refused = (await frames_until(consumer, lambda f: f.get("type") == "error"))[-1]
        assert refused["code"] == "invalid" and refused["client_id"] == "long"  # which message failed
        await consumer.send(json.dumps({"type": "send", "channel": "joint", "text": "y" * 5000, "client_id": "full"}))
        longest = await frames_until(consumer, lambda f: f.get("type") in ("ack", "error"))
        assert longest[-1] == {"type": "ack", "client_id": "full", "seq": seq + 1}  # the socket stayed open
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


def acks(socket: Listener) -> list[dict[str, Any]]:
    return [frame for frame in socket.frames if frame.get("type") == "ack"]


def _api(base: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30)


async def all_messages(api: httpx.AsyncClient, reference: str) -> list[dict[str, Any]]:
    """Every message the caller may see, following the pages (`next_cursor` is the `after` of the next)."""
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        response = await api.get(f"/api/v1/cases/{reference}/messages", params={"after": after, "limit": 100})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        after = int(page["next_cursor"])


async def test_over_the_limit_a_user_is_refused_on_all_their_sockets_and_nothing_extra_is_stored(
    live_server: str, make_user: UserFactory
) -> None:
    limit = get_settings().messages_per_10_seconds  # the live server runs with the same setting
    reference, tokens = await setup_case(live_server, make_user)
    sockets = await asyncio.gather(
        Listener.open(live_server, reference, tokens["consumer"]),  # one user, two sockets (two tabs)
        Listener.open(live_server, reference, tokens["consumer"]),
        Listener.open(live_server, reference, tokens["merchant"]),
    )
    first, second, merchant = sockets
    try:
        await asyncio.gather(*(s.wait_for(lambda f: f.get("type") == "presence") for s in sockets))
        texts = [f"within the limit {i}" for i in range(limit)]
        for i, text in enumerate(texts):  # as fast as the frames go, alternating between the two sockets
            await (first if i % 2 == 0 else second).send(type="send", channel="joint", text=text, client_id=f"ok{i}")
        for socket, share in ((first, texts[0::2]), (second, texts[1::2])):
            await socket.wait_until(lambda s=socket, n=len(share): len(acks(s)) == n)
            assert not [f for f in socket.frames if f.get("type") == "error"]

        for socket, client_id in ((first, "over-first"), (second, "over-second")):
            since = len(socket.frames)
            await socket.send(type="send", channel="joint", text=f"too many {client_id}", client_id=client_id)
            answer = await socket.wait_for(lambda f: f.get("type") in ("ack", "error"), since=since)
            assert answer["type"] == "error" and answer["code"] == "rate_limited", answer

        # The limit is the user's: the other party still talks, and both refused sockets stay open and hear it.
        await merchant.send(type="send", channel="joint", text="merchant still talks", client_id="m1")
        merchant_seq = (await merchant.wait_for(lambda f: f.get("type") == "ack"))["seq"]
        for socket in sockets:
            await socket.wait_for(lambda f: is_event(f, seq=merchant_seq, text="merchant still talks"))
            assert not socket.closed
        everything = sorted([*texts, "merchant still talks"])  # sorted: the two sockets' sends interleave
        assert sorted(f["text"] for f in merchant.events("message")) == everything
        async with _api(live_server, tokens["merchant"]) as api:
            stored = [m["text"] for m in await all_messages(api, reference)]
        assert sorted(stored) == everything
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets))


async def test_a_client_killed_mid_burst_resumes_from_its_last_seq_with_exactly_the_missed_messages(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    async with _api(live_server, tokens["consumer"]) as api:
        start = (await api.get(f"/api/v1/cases/{reference}/record")).json()["events"][-1]["seq"]
    receiver = await Listener.open(live_server, reference, tokens["consumer"], after=start)
    await receiver.wait_for(lambda f: f.get("type") == "presence")

    async with _api(live_server, tokens["merchant"]) as sender:

        async def post(i: int) -> tuple[int, str]:
            text = f"burst {i}"
            response = await sender.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": text})
            assert response.status_code == 201, response.text
            return response.json()["seq"], text

        first_half = [asyncio.create_task(post(i)) for i in range(20)]
        await receiver.wait_until(lambda: len(receiver.events("message")) >= 5)
        receiver.abort()  # no close handshake: the client is simply gone
        seen = [(f["seq"], f["text"]) for f in receiver.events("message")]  # what the client got to handle
        # The rest of the burst goes out while the server may still be writing to the dead connection.
        posted = await asyncio.gather(*first_half, *(post(i) for i in range(20, 40)))

    everything = sorted(posted)
    assert [seq for seq, _text in everything] == list(range(start + 1, start + 41))
    assert 5 <= len(seen) < 40
    resumed = await Listener.open(live_server, reference, tokens["consumer"], after=seen[-1][0])
    try:
        await resumed.wait_for(lambda f: is_event(f, seq=everything[-1][0]))
        missed = [(f["seq"], f["text"]) for f in resumed.events()]
        assert seen + missed == everything  # every message once, in order, nothing twice across the reconnect
    finally:
        await resumed.close()
        await receiver.close()


async def test_the_same_client_id_sent_at_once_is_stored_once_and_every_sender_gets_its_seq(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    body = {"channel": "joint", "text": "sent twice", "client_id": "retry-1"}
    async with _api(live_server, tokens["consumer"]) as api:
        responses = await asyncio.gather(
            *(api.post(f"/api/v1/cases/{reference}/messages", json=body) for _ in range(10))
        )
        assert [response.status_code for response in responses] == [201] * 10
        assert len({response.json()["seq"] for response in responses}) == 1
        tabs = await asyncio.gather(*(Listener.open(live_server, reference, tokens["consumer"]) for _ in range(4)))
        await asyncio.gather(*(tab.wait_for(lambda f: f.get("type") == "presence") for tab in tabs))
        await asyncio.gather(*(tab.send(type="send", channel="joint", text="kept", client_id="kept-1") for tab in tabs))
        answers = [await tab.wait_for(lambda f: f.get("type") in ("ack", "error")) for tab in tabs]
        assert [answer["type"] for answer in answers] == ["ack"] * 4
        assert len({answer["seq"] for answer in answers}) == 1
        texts = [message["text"] for message in await all_messages(api, reference)]
        assert texts.count("sent twice") == 1 and texts.count("kept") == 1
    await asyncio.gather(*(tab.close() for tab in tabs))


async def test_a_user_with_a_second_tab_open_stays_present_when_the_first_closes(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    merchant = await Listener.open(live_server, reference, tokens["merchant"])
    await merchant.wait_for(lambda f: f.get("type") == "presence")
    tab1 = await Listener.open(live_server, reference, tokens["consumer"])
    tab2 = await Listener.open(live_server, reference, tokens["consumer"])
    consumer_name = "Test Consumer"

    def presence_frames() -> int:
        return sum(1 for frame in merchant.frames if frame.get("type") == "presence")

    # One presence frame per join (the merchant's own, then each tab), so the next one is tab1 leaving.
    await merchant.wait_until(lambda: presence_frames() == 3)
    since = len(merchant.frames)
    await tab1.close()
    after_close = await merchant.wait_for(lambda f: f.get("type") == "presence", since=since)
    assert consumer_name in after_close["users"], after_close  # tab2 is still open
    since = len(merchant.frames)
    await tab2.close()
    gone = await merchant.wait_for(lambda f: f.get("type") == "presence", since=since)
    assert consumer_name not in gone["users"]
    await merchant.close()


async def test_no_inbox_notice_for_a_message_the_reader_sees_live_on_the_case_socket(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    async with _api(live_server, tokens["merchant"]) as merchant_api, _api(live_server, tokens["consumer"]) as api:
        before = len((await merchant_api.get("/api/v1/notifications")).json()["items"])
        merchant = await Listener.open(live_server, reference, tokens["merchant"])
        await merchant.wait_for(lambda f: f.get("type") == "presence")
        sent = await api.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "seen live"})
        await merchant.wait_for(lambda f: is_event(f, seq=sent.json()["seq"]))
        assert len((await merchant_api.get("/api/v1/notifications")).json()["items"]) == before
        await merchant.close()
        await merchant.wait_until(lambda: merchant.closed)
        await api.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "while away"})
        assert len((await merchant_api.get("/api/v1/notifications")).json()["items"]) == before + 1


async def test_browser_sessions_open_the_socket_but_strangers_and_other_sites_are_refused(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    url = live_server.replace("http://", "ws://") + f"/ws/cases/{reference}"
    stranger = await session_cookie(live_server, (await make_user("consumer"))["email"])
    assert await refused_code(url, {"Cookie": stranger}) == 4403
    async with _api(live_server, tokens["merchant"]) as api:
        merchant = await session_cookie(live_server, (await api.get("/api/v1/me")).json()["email"])
    assert await refused_code(url, {"Cookie": merchant, "Origin": "https://evil.example"}) == 4403
    async with websockets.connect(url, additional_headers={"Cookie": merchant}) as socket:
        assert json.loads(await socket.recv())["type"] in ("event", "presence")


async def test_cases_sharing_a_channel_shard_never_see_each_others_frames(
    live_server: str, make_user: UserFactory
) -> None:
    from accord.live import SHARDS
    from cases.tables import Case

    first, tokens = await setup_case(live_server, make_user)
    first_id = (await Case.select(Case.id).where(Case.reference == first).first())["id"]
    async with _api(live_server, tokens["consumer"]) as api:
        merchant_enterprise = (await Case.select(Case.enterprise).where(Case.id == first_id).first())["enterprise"]
        body = filing(merchant_enterprise).model_dump(mode="json", exclude_none=True)
        while True:  # file until a case lands on the same shard (case ids are sequential)
            other = (await api.post("/api/v1/cases", json=body)).json()["reference"]
            other_id = (await Case.select(Case.id).where(Case.reference == other).first())["id"]
            if other_id % SHARDS == first_id % SHARDS:
                break
        watcher = await Listener.open(live_server, first, tokens["merchant"])
        await watcher.wait_for(lambda f: f.get("type") == "presence")
        neighbour = await Listener.open(live_server, other, tokens["consumer"])
        await neighbour.wait_for(lambda f: f.get("type") == "presence")
        await neighbour.send(type="typing", channel="joint")
        await api.post(f"/api/v1/cases/{other}/messages", json={"channel": "joint", "text": "other case"})
        sent = await api.post(f"/api/v1/cases/{first}/messages", json={"channel": "joint", "text": "this case"})
        await watcher.wait_for(lambda f: is_event(f, seq=sent.json()["seq"]))
    assert not [f for f in watcher.frames if f.get("type") == "typing" or "other case" in json.dumps(f)]
    assert all(set(f.get("users", [])) <= {"Test Merchant"} for f in watcher.frames if f.get("type") == "presence")
    await watcher.close()
    await neighbour.close()


async def test_oversized_frames_close_the_socket_before_they_are_read(live_server: str, make_user: UserFactory) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    socket = await Listener.open(live_server, reference, tokens["consumer"])
    await socket.wait_for(lambda f: f.get("type") == "presence")
    # The longest message, escaped to the full: still a frame the server takes.
    await socket.send(type="send", channel="joint", text="\u00e9" * 5000, client_id="widest")
    await socket.wait_for(lambda f: f.get("type") == "ack")
    await socket.socket.send(json.dumps({"type": "send", "channel": "joint", "text": "x" * 100_000}))
    await socket.wait_until(lambda: socket.closed)
    assert socket.close_code == 1009  # message too big
    async with _api(live_server, tokens["consumer"]) as api:
        assert [len(m["text"]) for m in await all_messages(api, reference)] == [5000]


async def test_bearer_header_sockets_and_unauthenticated_ones_are_answered_promptly(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    url = live_server.replace("http://", "ws://") + f"/ws/cases/{reference}"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {tokens['merchant']}"}) as socket:
        assert json.loads(await socket.recv())["type"] in ("event", "presence")  # no auth frame needed
    async with asyncio.timeout(5):  # refused at once, or (silent, no credentials) after the auth-frame wait
        assert await refused_code(url, {"Authorization": "Bearer acc_not-a-token"}) == 4401
        assert await refused_code(url, {"Cookie": "accord_session=expired"}) == 4401
        assert await refused_code(url, {}) == 4401


async def test_error_frames_speak_the_users_language(live_server: str, make_user: UserFactory) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    url = live_server.replace("http://", "ws://") + f"/ws/cases/{reference}?lang=zh-Hans"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {tokens['consumer']}"}) as socket:
        await socket.send("not json")
        error = await frames_until(socket, lambda f: f.get("type") == "error")
        assert error[-1] == {"type": "error", "code": "invalid_json", "detail": "每一帧都必须是 JSON 对象。"}
