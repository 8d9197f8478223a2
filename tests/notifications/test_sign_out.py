"""A socket's credential is rechecked while it is open: an expired session ends its sockets too.

(Explicit endings — sign-out, revocation, deactivation, role and password changes — are pushed to the
sockets at once; tests/e2e/test_sessions_end.py checks them against real servers.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from accord import events
from accord.auth import Viewer
from accord.clock import FrozenClock
from accounts import credentials
from accounts.tables import UserSession
from notifications import sign_out
from tests.conftest import SignedIn

IDLE, LIFETIME = timedelta(minutes=120), timedelta(hours=12)


@pytest.fixture
def quick_rechecks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sign_out, "RECHECK_SECONDS", 0.05)


@pytest.fixture
def ended() -> Iterator[list[dict[str, Any]]]:
    """The `credentials.ended` events published after commit during the test."""
    published: list[dict[str, Any]] = []

    async def collect(event: events.DomainEvent) -> None:
        if event.kind == credentials.ENDED:
            published.append(event.data)

    events.subscribe(collect, "after_commit")
    yield published
    events.unsubscribe(collect, "after_commit")


async def no_pokes() -> AsyncIterator[bytes]:
    await asyncio.Event().wait()
    yield b""  # never reached


async def session_viewer(signed_in: SignedIn, clock: FrozenClock) -> Viewer:
    browser, _user = await signed_in()
    viewer = await credentials.viewer_from_session(browser.cookies["accord_session"], clock, IDLE, LIFETIME)
    assert viewer is not None
    return viewer


async def watch(viewer: Viewer, clock: FrozenClock, activity: list[Any] | None = None) -> asyncio.Task[None]:
    async def holds() -> bool:
        return await credentials.still_holds(viewer, clock, IDLE, LIFETIME, (activity or [None])[-1])

    return asyncio.create_task(sign_out.until_signed_out(viewer, no_pokes(), holds))


async def test_a_session_that_expires_while_its_socket_is_open_ends_it(
    signed_in: SignedIn, clock: FrozenClock, quick_rechecks: None, ended: list[dict[str, Any]]
) -> None:
    viewer = await session_viewer(signed_in, clock)
    watching = await watch(viewer, clock)
    await asyncio.sleep(0.2)
    assert not watching.done()  # rechecked a few times: still signed in
    clock.advance(IDLE + timedelta(seconds=1))
    await asyncio.wait_for(watching, timeout=2)
    assert not await UserSession.exists().where(UserSession.id == viewer.credential_id)
    assert ended == [{"user": viewer.id, "only": ["session", viewer.credential_id]}]  # its other sockets close too


async def test_what_the_client_sends_on_a_socket_keeps_its_session_alive_until_the_absolute_limit(
    signed_in: SignedIn, clock: FrozenClock, quick_rechecks: None
) -> None:
    viewer = await session_viewer(signed_in, clock)
    activity: list[Any] = []
    watching = await watch(viewer, clock, activity)
    for _hour in range(11):
        clock.advance(timedelta(hours=1))
        activity.append(clock.now())  # a message, a read receipt, typing...
        await asyncio.sleep(0.15)
        assert not watching.done()
    clock.advance(timedelta(hours=1, seconds=1))
    activity.append(clock.now())
    await asyncio.wait_for(watching, timeout=2)  # 12 hours after sign-in, however active


async def test_a_rechecked_socket_ends_when_its_user_is_deactivated_or_changes_role_even_without_a_poke(
    signed_in: SignedIn, clock: FrozenClock
) -> None:
    from accounts.tables import User

    viewer = await session_viewer(signed_in, clock)
    assert await credentials.still_holds(viewer, clock, IDLE, LIFETIME)
    await User.update({User.role: "mediator"}).where(User.id == viewer.id)
    assert not await credentials.still_holds(viewer, clock, IDLE, LIFETIME)
    await User.update({User.role: viewer.role, User.active: False}).where(User.id == viewer.id)
    assert not await credentials.still_holds(viewer, clock, IDLE, LIFETIME)


@pytest.mark.parametrize(
    ("announced", "closes"),
    [
        ({"user": 7, "only": ["session", 3]}, {("session", 3)}),
        ({"user": 7, "only": ["token", 3]}, {("token", 3)}),
        ({"user": 7}, {("session", 3), ("session", 4), ("token", 3)}),
        ({"user": 7, "keeping": ["session", 3]}, {("session", 4), ("token", 3)}),
        ({"user": 8}, set()),
    ],
)
def test_which_sockets_an_announced_end_closes(announced: dict[str, Any], closes: set[tuple[str, int]]) -> None:
    held = {("session", 3), ("session", 4), ("token", 3)}
    viewers = {
        which: Viewer(7, "a@example.com", "A", "consumer", "en", None, None, False, which[0], which[1])
        for which in held
    }
    assert {which for which, viewer in viewers.items() if credentials.ends_socket_of(viewer, announced)} == closes
