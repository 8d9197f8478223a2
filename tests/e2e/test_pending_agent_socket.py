"""A merchant agent nobody has approved gets no live conversation of their enterprise's cases (4403)."""

from __future__ import annotations

import httpx
import websockets

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory, unique_email
from tests.e2e.test_case_socket import open_socket, refused_code, token_for


async def test_a_waiting_agents_socket_is_refused_with_4403_before_any_data(
    live_server: str, make_user: UserFactory
) -> None:
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    async with httpx.AsyncClient(base_url=live_server) as api:
        body = filing(merchant["enterprise_id"]).model_dump(mode="json", exclude_none=True)
        headers = {"authorization": f"Bearer {await token_for(live_server, consumer['email'])}"}
        reference = (await api.post("/api/v1/cases", json=body, headers=headers)).json()["reference"]
        claimant = {
            "email": unique_email("claimant"),
            "password": PASSWORD,
            "consent": True,
            "display_name": "Claimant",
            "role": "merchant",
            "enterprise": {"name": "Claimed Ltd", "uscc": merchant["enterprise_uscc"]},
        }
        assert (await api.post("/api/v1/auth/register", json=claimant)).status_code == 201
    token = await token_for(live_server, claimant["email"])
    url = live_server.replace("http://", "ws://") + f"/ws/cases/{reference}?after=0"
    assert await refused_code(url, {"Authorization": f"Bearer {token}"}) == 4403
    socket = await open_socket(live_server, reference, token)  # the first-frame way of signing in
    try:
        await socket.recv()
        raise AssertionError("data was sent to a waiting agent")
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403
    approved = await open_socket(live_server, reference, await token_for(live_server, merchant["email"]))
    try:
        assert await approved.recv()  # the enterprise's approved agent gets the replay
    finally:
        await approved.close()
