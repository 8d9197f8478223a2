"""Socket frames say who is speaking (issue 11 §4–5): authors carry their role, parties see "mediator" rather
than staff names in presence and typing, and typing/read frames are rate-limited like messages."""

from __future__ import annotations

import asyncio
from typing import Any

from accord.settings import get_settings
from tests.cases.conftest import force_state
from tests.conftest import UserFactory
from tests.e2e.listener import Listener, is_event
from tests.e2e.test_case_socket import setup_case, token_for


async def _with_mediator(base: str, reference: str, make_user: UserFactory) -> tuple[dict[str, Any], str]:
    mediator = await make_user("mediator", display_name="Staff Member Wu")
    await force_state(reference, "in_mediation", mediator=mediator["id"])
    return mediator, await token_for(base, mediator["email"])


async def test_frames_name_the_author_with_their_role_and_parties_see_staff_as_mediator(
    live_server: str, make_user: UserFactory
) -> None:
    reference, tokens = await setup_case(live_server, make_user)
    mediator, mediator_token = await _with_mediator(live_server, reference, make_user)
    consumer = await Listener.open(live_server, reference, tokens["consumer"])
    merchant = await Listener.open(live_server, reference, tokens["merchant"])
    staff = await Listener.open(live_server, reference, mediator_token)
    try:
        filing = await consumer.wait_for(lambda f: is_event(f, seq=1))
        assert filing["author"]["role"] == "consumer" and set(filing["author"]) == {"id", "display_name", "role"}
        await staff.send(type="send", channel="joint", text="Good morning, both", client_id="m1")
        said = await consumer.wait_for(lambda f: is_event(f, kind="message", text="Good morning, both"))
        assert said["author"] == {"id": mediator["id"], "display_name": "Staff Member Wu", "role": "mediator"}

        def present(listener: Listener) -> list[str]:
            frames = [f for f in listener.frames if f.get("type") == "presence"]
            return frames[-1]["users"] if frames else []

        await consumer.wait_until(lambda: len(present(consumer)) == 3)
        assert "mediator" in present(consumer) and "Staff Member Wu" not in present(consumer)
        await staff.wait_until(lambda: "Staff Member Wu" in present(staff))  # staff see each other's names

        await staff.send(type="typing", channel="joint")
        typing = await merchant.wait_for(lambda f: f.get("type") == "typing")
        assert typing["user"] == "mediator"
        await consumer.send(type="typing", channel="joint")
        seen_by_staff = await staff.wait_for(lambda f: f.get("type") == "typing")
        assert seen_by_staff["user"] != "mediator" and "staff" not in seen_by_staff
    finally:
        await asyncio.gather(consumer.close(), merchant.close(), staff.close())


async def test_typing_and_read_frames_are_rate_limited_like_messages(live_server: str, make_user: UserFactory) -> None:
    limit = get_settings().messages_per_10_seconds
    reference, tokens = await setup_case(live_server, make_user)
    chatty = await Listener.open(live_server, reference, tokens["consumer"])
    other = await Listener.open(live_server, reference, tokens["merchant"])
    try:
        await other.wait_until(lambda: any(len(f.get("users", ())) == 2 for f in other.frames))  # both subscribed
        for index in range(limit + 5):
            await chatty.send(type="typing" if index % 2 else "read", channel="joint", seq=1)
        refused = await chatty.wait_for(lambda f: f.get("type") == "error")
        assert refused["code"] == "rate_limited"
        await asyncio.sleep(0.5)  # what got through has arrived by now
        relayed = [f for f in other.frames if f.get("type") in ("typing", "read")]
        assert len(relayed) == limit
        # Messages keep their own budget: a chatty typist can still talk.
        await chatty.send(type="send", channel="joint", text="still allowed", client_id="after-typing")
        assert (await chatty.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_id")))[
            "type"
        ] == "ack"
    finally:
        await asyncio.gather(chatty.close(), other.close())
