"""Retention reaches the live conversation: a masked case's socket replay names its consumer as masked."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from cases.retention import mask_ended_cases
from cases.tables import Case
from tests.accounts.test_closing import _act, _file, _say
from tests.conftest import BASE_TIME, SignedIn
from tests.e2e.test_case_socket import frames_until, open_socket, token_for


async def test_the_replay_of_a_masked_case_does_not_name_its_consumer(live_server: str, api_client: SignedIn) -> None:
    name = f"Replayed Person {uuid.uuid4().hex[:6]}"
    consumer, _user = await api_client("consumer", display_name=name)
    merchant, merchant_user = await api_client("merchant")
    reference = await _file(consumer, merchant_user["enterprise_id"])
    await _say(consumer, reference, "joint", "Words of mine, kept as evidence.")
    await _act(consumer, reference, "withdraw", reason="Solved.")
    assert await mask_ended_cases(BASE_TIME + timedelta(days=4 * 365), 3) == [reference]
    last = (await Case.select(Case.last_seq).where(Case.reference == reference).first())["last_seq"]
    socket = await open_socket(live_server, reference, await token_for(live_server, merchant_user["email"]))
    try:
        frames = await frames_until(socket, lambda frame: frame.get("seq") == last)
    finally:
        await socket.close()
    replayed = json.dumps(frames, ensure_ascii=False)
    assert name not in replayed and "Consumer (details masked)" in replayed
    assert "Words of mine, kept as evidence." in replayed  # what was said stays
