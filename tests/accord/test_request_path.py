"""How a request runs on the event loop (issue 14 §6): the case page resolves its dependencies in order, no task
of their own, and every request lets the loop turn once before it runs on (accord.auth.ViewerMiddleware)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from accord.auth import ViewerMiddleware
from accord.settings import get_settings
from tests.cases.test_pages import file_by_form
from tests.conftest import SignedIn


@contextmanager
def tasks_made() -> Iterator[list[asyncio.Task[Any]]]:
    """The tasks the running loop makes inside the block."""
    loop, made = asyncio.get_running_loop(), []
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coroutine: Any, **options: Any) -> asyncio.Task[Any]:
        task = factory(loop, coroutine, **options) if factory else asyncio.Task(coroutine, loop=loop, **options)
        made.append(task)
        return task

    loop.set_task_factory(counting)
    try:
        yield made
    finally:
        loop.set_task_factory(factory)


async def test_the_case_page_makes_no_task_for_its_dependencies(signed_in: SignedIn) -> None:
    """The viewer and the case context come one after the other (the context names the viewer): Litestar made
    a task for each, in an anyio task group, about a tenth of the page's time. The test client runs the app in
    the test's own task, so every task made is the page's: none but those asyncpg makes for itself."""
    consumer, _user = await signed_in("consumer")
    _merchant, agent = await signed_in("merchant")
    filed = await file_by_form(consumer, enterprise_id=str(agent["enterprise_id"]), gtin="", trace_code="")
    page = filed.headers["location"].split("?")[0]
    with tasks_made() as made:
        shown = await consumer.get(page)
    assert shown.status_code == 200 and "record verified" in shown.text
    made_for = [task.get_coro().__qualname__ for task in made]  # asyncpg's pool makes one to release a connection
    assert [name for name in made_for if name != "PoolConnectionHolder.release"] == []


async def test_a_request_lets_the_loop_turn_before_it_runs_on() -> None:
    """What was waiting to run when a request came in runs before the request's handler does, also when finding
    the viewer waited for nothing: a request that never waits would otherwise hold the loop from start to end,
    and under load some connections waited for several rounds of others."""
    order: list[str] = []

    async def resolve(connection: Any, badge: Any) -> tuple[None, None]:
        return None, None  # an anonymous visitor, found without waiting

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        order.append("the request")

    app = SimpleNamespace(state=SimpleNamespace(settings=get_settings(), get=lambda name: None))
    scope = {"type": "http", "method": "GET", "path": "/cases", "headers": [], "query_string": b"", "app": app}
    asyncio.get_running_loop().call_soon(order.append, "what was waiting")
    await ViewerMiddleware(handler, resolve)(scope, None, None)  # type: ignore[arg-type]
    assert order == ["what was waiting", "the request"]
