"""Domain events: transaction handlers share the writer's fate, after-commit handlers only hear committed changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from accord import events
from accord.db import write_transaction
from accounts.tables import LoginFailure


async def test_after_commit_handlers_run_only_after_commit_and_never_on_rollback() -> None:
    seen_in_transaction: list[str] = []
    published: list[str] = []

    async def in_transaction(event: events.DomainEvent) -> None:
        seen_in_transaction.append(event.kind)
        await LoginFailure.insert(LoginFailure(key_hash=f"event-{event.kind}", at=event.data["at"]))

    async def after_commit(event: events.DomainEvent) -> None:
        published.append(event.kind)

    events.subscribe(in_transaction)
    events.subscribe(after_commit, "after_commit")
    try:
        from datetime import datetime

        at = datetime(2026, 1, 1, tzinfo=UTC)
        async with events.atomic():
            await events.emit(events.DomainEvent("test.kept", data={"at": at}))
            assert published == []  # not before the commit
        assert published == ["test.kept"]
        with pytest.raises(RuntimeError):
            async with events.atomic():
                await events.emit(events.DomainEvent("test.rolled_back", data={"at": at}))
                raise RuntimeError("abort")
        assert published == ["test.kept"]
        assert seen_in_transaction == ["test.kept", "test.rolled_back"]
        assert await LoginFailure.exists().where(LoginFailure.key_hash == "event-test.kept")
        assert not await LoginFailure.exists().where(LoginFailure.key_hash == "event-test.rolled_back")
    finally:
        events.unsubscribe(in_transaction)
        events.unsubscribe(after_commit, "after_commit")


async def test_a_failing_after_commit_handler_does_not_undo_the_change(caplog: Any) -> None:
    async def broken(event: events.DomainEvent) -> None:
        raise ValueError("socket gone")

    events.subscribe(broken, "after_commit")
    try:
        async with events.atomic():
            await events.emit(events.DomainEvent("test.poke"))
    finally:
        events.unsubscribe(broken, "after_commit")
    assert "after-commit handler failed for test.poke" in caplog.text


async def test_a_nested_atomic_block_publishes_only_when_the_outermost_commits() -> None:
    published: list[str] = []

    async def after_commit(event: events.DomainEvent) -> None:
        published.append(event.kind)

    events.subscribe(after_commit, "after_commit")
    try:
        async with events.atomic():
            await events.emit(events.DomainEvent("test.outer"))
            async with events.atomic():
                await events.emit(events.DomainEvent("test.inner"))
            assert published == []  # the inner block neither published nor dropped the outer's event
        assert published == ["test.outer", "test.inner"]
        with pytest.raises(RuntimeError):
            async with events.atomic():
                async with events.atomic():
                    await events.emit(events.DomainEvent("test.inner_rolled_back"))
                raise RuntimeError("abort")
        assert published == ["test.outer", "test.inner"]
    finally:
        events.unsubscribe(after_commit, "after_commit")


async def test_before_commit_handlers_run_last_in_the_transaction_once_per_event_and_share_its_fate() -> None:
    """The rows every transaction writes (insights' rollups) are written last: locked from there to the commit."""
    order: list[str] = []
    at = datetime(2026, 1, 1, tzinfo=UTC)

    async def in_transaction(event: events.DomainEvent) -> None:
        order.append(f"transaction {event.kind}")

    async def before_commit(event: events.DomainEvent) -> None:
        order.append(f"before commit {event.kind}")
        await LoginFailure.insert(LoginFailure(key_hash=f"last-{event.kind}", at=at))

    events.subscribe(in_transaction)
    events.subscribe(before_commit, "before_commit")
    try:
        async with events.atomic():
            await events.emit(events.DomainEvent("test.first"))
            async with events.atomic():  # joins: its events wait for the outermost block's end too
                await events.emit(events.DomainEvent("test.second"))
            order.append("block done")
        assert order == [
            "transaction test.first",
            "transaction test.second",
            "block done",
            "before commit test.first",
            "before commit test.second",
        ]
        with pytest.raises(RuntimeError):
            async with events.atomic():
                await events.emit(events.DomainEvent("test.rolled_back"))
                raise RuntimeError("abort")
        assert "before commit test.rolled_back" not in order  # the block failed: nothing more runs in it
        assert await LoginFailure.exists().where(LoginFailure.key_hash == "last-test.second")
        order.clear()
        async with write_transaction():  # a transaction not opened by atomic(): nobody would run them later
            await events.emit(events.DomainEvent("test.plain"))
            assert order == ["transaction test.plain", "before commit test.plain"]
    finally:
        events.unsubscribe(in_transaction)
        events.unsubscribe(before_commit, "before_commit")
