"""Risk early warning: each enterprise's and each category's daily filings scored against their own history
with a Poisson control chart, and the alerts that opens for registrars to acknowledge or dismiss.

For a day d and one enterprise (or category) with x filings that day, the expected count is its mean over
the 90 days before d, shrunk towards one case a day by a prior worth a week of history (so a new merchant's
first days are judged gently, and a merchant with a long quiet history sharply):

    λ = (filings in the window + PRIOR_DAYS · PRIOR_RATE) / (days of history in the window + PRIOR_DAYS)

and the score is −log10 P(X ≥ x | λ). An alert opens when the score reaches THRESHOLD and x ≥ MIN_COUNT:
20 cases on a day against a mean under 1 scores above 20; steady Poisson traffic of any rate reaches 6
about once in a million days. Only entities with at least MIN_COUNT filings on the day are looked at, so a
run reads a few rollup rows per candidate, whatever the number of cases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from piccolo.query.functions.aggregate import Min, Sum

from accord import events
from accord.auth import Viewer
from accord.clock import Clock
from accord.errors import Conflict, NotFound
from accord.i18n import N_, gettext, register_labels
from accounts.service import record_admin_action
from insights.rollups import ALL_CATEGORIES, ALL_ENTERPRISES, BY_CATEGORY, local_day
from insights.tables import Alert, DailyCount

WINDOW_DAYS = 90
PRIOR_DAYS = 7
PRIOR_RATE = 1.0
THRESHOLD = 6.0
MIN_COUNT = 5
DECISIONS = {"acknowledge": "acknowledged", "dismiss": "dismissed"}
KINDS = {"enterprise": "enterprise_spike", "category": "category_spike"}
SHARE = "category_share"
PRIOR_SHARE_CASES = 20  # a category's historical share counts as if 20 more cases had had it

register_labels(
    "alert_kind",
    {
        "enterprise_spike": N_("Unusually many complaints against one enterprise"),
        "category_spike": N_("Unusually many complaints in one category"),
        "category_share": N_("One category's share of the day's complaints far above its usual share"),
    },
)
register_labels(
    "alert_state",
    {"open": N_("open"), "acknowledged": N_("acknowledged"), "dismissed": N_("dismissed")},
)


def binomial_score(observed: int, trials: int, share: float) -> float:
    """−log10 P(X ≥ observed) for X ~ Binomial(trials, share), summed in log space."""
    if observed <= 0:
        return 0.0
    share = min(max(share, 1e-9), 1 - 1e-9)
    logs = [
        math.lgamma(trials + 1)
        - math.lgamma(k + 1)
        - math.lgamma(trials - k + 1)
        + k * math.log(share)
        + (trials - k) * math.log(1 - share)
        for k in range(observed, trials + 1)
    ]
    top = max(logs)
    tail = top + math.log(sum(math.exp(value - top) for value in logs))
    return max(0.0, -tail / math.log(10))


def poisson_score(observed: int, expected: float) -> float:
    """−log10 P(X ≥ observed) for X ~ Poisson(expected), summed in log space (no underflow)."""
    if observed <= 0:
        return 0.0
    logs = [-expected + k * math.log(expected) - math.lgamma(k + 1) for k in range(observed, observed + 400)]
    top = max(logs)
    tail = top + math.log(sum(math.exp(value - top) for value in logs))
    return max(0.0, -tail / math.log(10))


@dataclass(frozen=True)
class Signal:
    kind: str
    enterprise: int | None
    category: str | None
    day: date
    observed: int
    expected: float
    score: float


async def _filed(column: Any, day_from: date, day_to: date, among: Iterable[Any] | None = None) -> list[dict[str, Any]]:
    """Filings in the days by enterprise (their `filed` in the scope of all categories) or by category (the
    `filed_by:category:<category>` of all categories and enterprises): (key, n, first day) rows."""
    by_enterprise = column._meta.name == "enterprise"
    key = DailyCount.enterprise if by_enterprise else DailyCount.metric
    query = DailyCount.select(
        key.as_alias("key"), Sum(DailyCount.count).as_alias("n"), Min(DailyCount.day).as_alias("first")
    )
    query = query.where(DailyCount.category == ALL_CATEGORIES, DailyCount.day >= day_from, DailyCount.day <= day_to)
    if by_enterprise:  # (the sum over all enterprises, 0, is dropped below: a condition would cost the index)
        query = query.where(DailyCount.metric == "filed")
    else:
        query = query.where(
            DailyCount.enterprise == ALL_ENTERPRISES,
            DailyCount.metric >= BY_CATEGORY,
            DailyCount.metric < BY_CATEGORY[:-1] + ";",
        )
    if among is not None:
        query = query.where(key.is_in([value if by_enterprise else BY_CATEGORY + value for value in among]))
    rows = await query.group_by(DailyCount.metric, key)  # the metric index's order (category, metric, day, ...)
    if by_enterprise:
        return [row for row in rows if row["key"] != ALL_ENTERPRISES]
    return [{**row, "key": row["key"][len(BY_CATEGORY) :]} for row in rows]


async def _shares(day: date, today: dict[str, int], total: int) -> list[Signal]:
    """A category whose share of the day's filings lies far above its share of the window's (a binomial test):
    a sudden run of "counterfeit" while the volume stays the same."""
    start = day - timedelta(days=WINDOW_DAYS)
    window = await _filed(DailyCount.category, start, day - timedelta(days=1))
    history = {row["key"]: int(row["n"]) for row in window}
    window_total = sum(history.values())
    categories = max(len(history), 1)
    signals = []
    for category, observed in today.items():
        share = (history.get(category, 0) + PRIOR_SHARE_CASES / categories) / (window_total + PRIOR_SHARE_CASES)
        score = binomial_score(observed, total, share)
        if score >= THRESHOLD and observed / total >= 2 * share:
            signals.append(Signal(SHARE, None, category, day, observed, round(share * total, 4), round(score, 2)))
    return signals


async def score_day(day: date) -> list[Signal]:
    """The signals of one day, for every enterprise and category with at least MIN_COUNT filings on it."""
    signals = []
    for dimension, column in (("enterprise", DailyCount.enterprise), ("category", DailyCount.category)):
        counts = {row["key"]: int(row["n"]) for row in await _filed(column, day, day)}
        today = {key: n for key, n in counts.items() if n >= MIN_COUNT}
        if not today:
            continue
        if dimension == "category":
            signals += await _shares(day, today, sum(counts.values()))
        start = day - timedelta(days=WINDOW_DAYS)
        history = {row["key"]: row for row in await _filed(column, start, day - timedelta(days=1), today)}
        for key, observed in today.items():
            past = history.get(key)
            first = past["first"] if past else day
            days = (day - (date.fromisoformat(first) if isinstance(first, str) else first)).days
            expected = ((int(past["n"]) if past else 0) + PRIOR_DAYS * PRIOR_RATE) / (days + PRIOR_DAYS)
            score = poisson_score(observed, expected)
            if score >= THRESHOLD:
                signals.append(
                    Signal(
                        kind=KINDS[dimension],
                        enterprise=key if dimension == "enterprise" else None,
                        category=key if dimension == "category" else None,
                        day=day,
                        observed=observed,
                        expected=round(expected, 4),
                        score=round(score, 2),
                    )
                )
    return signals


async def open_alerts(signals: list[Signal], now: datetime) -> int:
    """Open an alert for each signal not already raised for its day (a rerun opens nothing twice)."""
    opened = 0
    for signal in signals:
        found = (
            await Alert.select(Alert.id)
            .where(
                Alert.kind == signal.kind,
                Alert.day == signal.day,
                Alert.enterprise.is_null() if signal.enterprise is None else Alert.enterprise == signal.enterprise,
                Alert.category.is_null() if signal.category is None else Alert.category == signal.category,
            )
            .first()
        )
        if found is None:
            await Alert.insert(
                Alert(
                    kind=signal.kind,
                    enterprise=signal.enterprise,
                    category=signal.category,
                    day=signal.day,
                    observed=signal.observed,
                    expected=signal.expected,
                    score=signal.score,
                    opened_at=now,
                )
            )
            opened += 1
    return opened


async def scan(clock: Clock, zone: tzinfo, days: int = 2) -> int:
    """Score today and yesterday (in `zone`, where the deployment is) and open what they show; the alerts
    opened."""
    today = local_day(clock.now(), zone)
    opened = 0
    for back in range(days):
        signals = await score_day(today - timedelta(days=back))
        if signals:
            async with events.atomic():
                opened += await open_alerts(signals, clock.now())
    return opened


async def list_alerts(state: str | None, cursor: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first; `cursor` is the last id of the previous page."""
    query = Alert.select(*Alert.all_columns(), Alert.decided_by.display_name.as_alias("decided_by_name")).order_by(
        Alert.id, ascending=False
    )
    if state:
        query = query.where(Alert.state == state)
    if cursor is not None:
        query = query.where(Alert.id < cursor)
    return await query.limit(limit)


async def decide(alert_id: int, decision: str, note: str, viewer: Viewer, clock: Clock) -> dict[str, Any]:
    """A registrar acknowledges or dismisses an open alert; who, when and why are kept on it and audited."""
    state = DECISIONS.get(decision)
    if state is None:
        raise NotFound(gettext("There is no such action."))
    async with events.atomic():
        alert = await Alert.select().where(Alert.id == alert_id).first()
        if alert is None:
            raise NotFound(gettext("There is no such alert."))
        if alert["state"] != "open":
            raise Conflict(gettext("This alert was already decided (%(state)s).") % {"state": alert["state"]})
        now = clock.now()
        after = {Alert.state: state, Alert.decided_by: viewer.id, Alert.decided_at: now, Alert.note: note}
        await Alert.update(after).where(Alert.id == alert_id)
        await record_admin_action(
            viewer, "decide_alert", f"alert:{alert_id}", {"state": "open"}, {"state": state, "note": note}, clock
        )
    return {**alert, "state": state, "decided_by": viewer.id, "decided_at": now, "note": note}
