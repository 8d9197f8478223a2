"""The module contract: each domain package exports ONE `MODULE` (in `<domain>/module.py`) saying what it
plugs into the process — routes, event subscribers, background jobs, CLI commands, demo seed, template
globals — and the app factory (`accord.app`) and the `accord` command (`accord.cli`) read the same list.

Nothing is wired by importing a domain: its subscribers reach the event bus only through `wire()`, and its
jobs run only through `run_jobs()`, which is one round of the server's background loop and all of
`accord sweep` alike. Whatever needs the deployment's settings gets the `Settings` it is given here.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord import events, extensions
from accord.clock import Calendar, Clock, WeekdayCalendar
from accord.settings import Settings

log = logging.getLogger("accord.jobs")

# In dependency order (DESIGN §8): jobs run in this order too, so mail queued by this round's deadlines,
# reminders and assignments goes out in the same round; and demo seeds, so insights counts the cases and trace
# checks the other domains' seeds made.
DOMAINS = ("accounts", "cases", "mediation", "integrity", "traceability", "insights", "guide", "notifications")


@dataclass(frozen=True)
class Subscription:
    """An event handler and the phase it runs in (accord.events)."""

    handler: events.Handler
    phase: events.Phase = "transaction"


@dataclass(frozen=True)
class Runtime:
    """What a background job works with: the deployment's settings, the time and the working days."""

    settings: Settings
    clock: Clock
    calendar: Calendar


def _silent(result: Any) -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class Job:
    """Timed work: `run` does one round (idempotent, safe in several processes at once); `report` says what
    it did, in lines for `accord sweep`."""

    name: str
    run: Callable[[Runtime], Awaitable[Any]]
    report: Callable[[Any], Iterable[str]] = _silent


def _nothing(settings: Settings) -> Sequence[Any]:
    return ()


def _no_services(settings: Settings) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class DomainModule:
    name: str
    routes: Sequence[Any] = ()  # route handlers and routers
    subscribers: Callable[[Settings], Sequence[Subscription]] = _nothing
    jobs: Sequence[Job] = ()
    cli: Callable[[Any], None] | None = None  # adds its commands to the `accord` subparsers
    # Demo data, played on the clock and the working-day calendar given; False: there was data already.
    seed: Callable[[Clock, Calendar], Awaitable[bool | None]] | None = None
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # Named services on app.state that other packages use without importing this one (e.g. the unread count).
    services: Callable[[Settings], Mapping[str, Any]] = _no_services
    middleware: Callable[[Settings], Sequence[Any]] = _nothing
    # The working-day calendar, if it keeps one. It reaches the others in a request's or job's context (the
    # app's state, a Runtime); an event subscriber gets the emitter's in `DomainEvent.context`: no module
    # keeps a calendar of its own.
    calendar: Callable[[Settings], Awaitable[Calendar]] | None = None
    # Facts a later domain shows on the case page and in the case JSON, by name (accord.extensions).
    case_facts: Mapping[str, extensions.CaseFact] = field(default_factory=dict)
    # How the case timeline tells the record events this domain appends, by event type (accord.extensions).
    record_tellers: Mapping[str, extensions.RecordTeller] = field(default_factory=dict)


def installed() -> list[DomainModule]:
    """Every domain's module, in dependency order (imported here, so that importing `accord` wires nothing)."""
    return [importlib.import_module(f"{name}.module").MODULE for name in DOMAINS]


def wire(modules: Sequence[DomainModule], settings: Settings) -> None:
    """Subscribe every module's handlers, built with these settings, and install its case facts (replacing
    any wired before)."""
    events.wire([(s.handler, s.phase) for module in modules for s in module.subscribers(settings)])
    extensions.wire(
        {name: fact for module in modules for name, fact in module.case_facts.items()},
        {kind: teller for module in modules for kind, teller in module.record_tellers.items()},
    )


async def load_calendar(modules: Sequence[DomainModule], settings: Settings) -> Calendar:
    """The working-day calendar the module that keeps one loads (plain weekdays when none does)."""
    keeper = next((module.calendar for module in modules if module.calendar is not None), None)
    return await keeper(settings) if keeper else WeekdayCalendar()


def jobs_of(modules: Sequence[DomainModule]) -> list[Job]:
    return [job for module in modules for job in module.jobs]


async def run_jobs(
    jobs: Sequence[Job], runtime: Runtime, failed: Callable[[Job, Exception], None] | None = None
) -> list[tuple[Job, Any]]:
    """One round of every job, in order. With `failed`, a failing job is reported there and the round goes
    on (the server's loop); without, the error ends the round (`accord sweep`)."""
    done: list[tuple[Job, Any]] = []
    for job in jobs:
        try:
            done.append((job, await job.run(runtime)))
        except Exception as error:  # noqa: BLE001 - one job's trouble must not stop the others' work
            if failed is None:
                raise
            failed(job, error)
    return done


def _log_failure(job: Job, error: Exception) -> None:
    log.error("background job %s failed", job.name, exc_info=error)


async def every(interval: float, work: Callable[[], Awaitable[Any]]) -> None:
    """Run `work` every `interval` seconds for as long as the process lives; errors are logged, not fatal."""
    while True:
        try:
            await work()
        except Exception:  # noqa: BLE001 - a background loop must survive anything
            log.exception("background round failed")
        await asyncio.sleep(interval)


async def background_round(jobs: Sequence[Job], settings: Settings, state: Any) -> None:
    """One round of the server's background work; the clock and calendar are read afresh (tests move them)."""
    await run_jobs(jobs, Runtime(settings, state.clock, state.calendar), _log_failure)


def services(modules: Sequence[DomainModule], settings: Settings) -> dict[str, Any]:
    """Every module's named services, built with these settings (a bad setting raises SettingsError)."""
    return {name: value for module in modules for name, value in module.services(settings).items()}


def check_settings(modules: Sequence[DomainModule], settings: Settings) -> None:
    """Each module accepts the settings (e.g. the deadline overrides name real deadlines)."""
    services(modules, settings)
