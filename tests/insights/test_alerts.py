"""Risk alerts: a burst against a quiet enterprise opens exactly one alert at the next run, steady traffic
opens none, and on seeded histories with known spikes the detector finds them (precision and recall)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from accord.clock import FrozenClock
from accord.settings import get_settings
from accounts.service import act_as
from insights import alerts
from accord.db import write_transaction
from insights.rollups import BY_CATEGORY, add_counts
from insights.tables import Alert
from tests.conftest import SignedIn, create_person
from tests.insights.conftest import Moves, counted


def poisson(rng: random.Random, rate: float) -> int:
    """Knuth's sampler (small rates) or a rounded normal (large ones): good enough for seeded histories."""
    if rate > 30:
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, k, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


async def plant(enterprise: int, category: str, counts: dict[date, int]) -> None:
    """Filings counted as the follower counts them (in their four scopes)."""
    async with write_transaction():
        for metric in ("filed", BY_CATEGORY + category):
            await add_counts({(day, category, enterprise, metric): n for day, n in counts.items() if n})


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def test_poisson_score() -> None:
    assert alerts.poisson_score(0, 1.0) == 0.0
    assert alerts.poisson_score(1, 1.0) == pytest.approx(-math.log10(1 - math.exp(-1)))
    assert alerts.poisson_score(20, 0.5) > 20
    assert alerts.poisson_score(3, 3.0) < 1


async def test_a_burst_of_twenty_against_a_quiet_enterprise_opens_one_alert(app: Any) -> None:
    clock = FrozenClock(datetime(2024, 5, 1, 2, 0, tzinfo=UTC))
    consumer = act_as(await create_person("consumer", clock))
    merchant = act_as(await create_person("merchant", clock))
    assert merchant.enterprise_id is not None
    moves = Moves(clock)
    for back in (60, 40, 20):  # a quiet history: three complaints in two months
        await moves.file(
            consumer, merchant.enterprise_id, datetime(2024, 5, 20, 2, 0, tzinfo=UTC) - timedelta(days=back)
        )
    burst = datetime(2024, 5, 20, 2, 0, tzinfo=UTC)
    for minute in range(20):
        await moves.file(consumer, merchant.enterprise_id, burst + timedelta(minutes=minute))
    await counted()
    run = FrozenClock(burst + timedelta(hours=6))
    await alerts.scan(run, get_settings().timezone)
    await alerts.scan(run, get_settings().timezone)  # the next run finds it already open
    opened = await Alert.select().where(Alert.enterprise == merchant.enterprise_id)
    assert len(opened) == 1
    alert = opened[0]
    assert (alert["kind"], alert["observed"], alert["state"], alert["day"]) == (
        "enterprise_spike",
        20,
        "open",
        date(2024, 5, 20),
    )
    assert alert["expected"] < 1 and alert["score"] >= alerts.THRESHOLD


async def test_a_steady_year_opens_nothing(app: Any) -> None:
    rng = random.Random(2023)
    steady = {day: poisson(rng, 3.0) for day in days_of(2023)}
    constant = {day: 6 for day in days_of(2023)}
    await plant(990001, "steady-poisson", steady)
    await plant(990002, "steady-constant", constant)
    for day in days_of(2023):
        for signal in await alerts.score_day(day):
            assert signal.enterprise not in (990001, 990002), signal
            assert signal.category not in ("steady-poisson", "steady-constant"), signal


async def test_precision_and_recall_on_seeded_histories(app: Any) -> None:
    rng = random.Random(2022)
    year = days_of(2022)
    spikes: set[tuple[int, date]] = set()
    for index, rate in enumerate((0.2, 0.5, 1.0, 3.0, 8.0, 15.0)):
        enterprise = 990010 + index
        counts = {day: poisson(rng, rate) for day in year}
        for day in rng.sample(year[30:], 4):  # four spikes after a month of history
            counts[day] += math.ceil(3 * rate) + 10
            spikes.add((enterprise, day))
        await plant(enterprise, f"seeded-{index}", counts)
    found = set()
    for day in year:
        for signal in await alerts.score_day(day):
            if signal.enterprise is not None and 990010 <= signal.enterprise < 990020:
                found.add((signal.enterprise, day))
    true = found & spikes
    precision, recall = len(true) / max(len(found), 1), len(true) / len(spikes)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, sorted(found - spikes), sorted(spikes - found))


async def test_registrars_acknowledge_or_dismiss_alerts(app: Any, api_client: SignedIn, signed_in: SignedIn) -> None:
    now = datetime(2021, 6, 1, tzinfo=UTC)
    made = []
    for category in ("decide-a", "decide-b"):
        row = Alert(
            kind="category_spike",
            category=category,
            day=date(2021, 6, 1),
            observed=9,
            expected=0.5,
            score=8.0,
            opened_at=now,
        )
        made.append((await Alert.insert(row).returning(Alert.id))[0]["id"])
    mediator, _ = await api_client("mediator")
    listed = await mediator.get("/api/v1/insights/alerts?state=open&limit=100")
    assert listed.status_code == 200
    assert {made[0], made[1]} <= {item["id"] for item in listed.json()["items"]}
    assert (await mediator.post(f"/api/v1/insights/alerts/{made[0]}/acknowledge", json={})).status_code == 403
    registrar, person = await api_client("admin")
    assert (await registrar.post(f"/api/v1/insights/alerts/{made[0]}/ignore", json={})).status_code == 404
    done = await registrar.post(
        f"/api/v1/insights/alerts/{made[0]}/acknowledge", json={"note": "seen; calling the platform"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["decided_by"], done.json()["window"]) == (
        "acknowledged",
        person["id"],
        "2021-06-01",
    )
    again = await registrar.post(f"/api/v1/insights/alerts/{made[0]}/dismiss", json={})
    assert again.status_code == 409
    browser, _ = await signed_in("admin")
    page = await browser.get("/insights")
    assert f"/insights/alerts/{made[1]}/dismiss" in page.text
    from tests.conftest import post_form

    assert (await post_form(browser, f"/insights/alerts/{made[1]}/dismiss", {"note": ""})).status_code == 302
    assert (await Alert.select(Alert.state).where(Alert.id == made[1]).first())["state"] == "dismissed"


async def test_a_sudden_share_of_one_category_opens_a_share_alert(app: Any) -> None:
    rng = random.Random(2019)
    days = days_of(2019)
    spike = date(2019, 9, 10)
    shares = {"share-counterfeit": 0.1, "share-late": 0.5, "share-broken": 0.4}
    for category, share in shares.items():
        counts = {day: poisson(rng, 30 * share) for day in days}
        if category == "share-counterfeit":
            counts[spike] = 15  # half the day's complaints, where a tenth is usual
        elif category == "share-late":
            counts[spike] = 8
        else:
            counts[spike] = 7
        await plant(990100, category, counts)
    found = set()
    for day in days[30:]:
        for signal in await alerts.score_day(day):
            if signal.kind == alerts.SHARE and signal.category in shares:
                found.add((signal.category, day))
    assert found == {("share-counterfeit", spike)}
