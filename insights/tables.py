"""Rollups the figures are read from: per-day counts and one facts row a case, kept in the transaction of
the event that changes them (insights/rollups.py), and the risk alerts the detector opens."""

from __future__ import annotations

from piccolo.columns import Date, DoublePrecision, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from accounts.tables import User
from cases.tables import Case


class DailyCount(Table, tablename="insight_daily"):
    """How often `metric` happened on `day` (deployment time zone) to cases of one category and enterprise.

    Metrics: `filed`; `move:<action>:<from>><to>` for every transition; `first_response:<working days>` and
    `closed:<outcome>` + `closing:<working days>` (a case's first closing; the days in histogram buckets,
    insights.rollups.bucket); `reclosed:<outcome>` (closings after an appeal); `settled_first` (a case's first
    settlement); `settlement:<resolved|breached>` (a settlement kept or not); `rated:<score>`; `filed_by:<currency|country|platform>:<value>` beside each filing;
    `closed_by:<mediator id>` at a first closing in mediation; `open:<mediator id>:<state>` +1/-1 as an open
    case comes to or leaves a mediator or state (summed over all time: each mediator's open cases now).

    Scopes: every count is written four times, for its category and enterprise, for its category and all
    enterprises (`enterprise` 0), for all categories (`category` "*") and its enterprise, and for both "all"s,
    in the same statement; a figure reads the one scope its filters name, so what it reads does not grow
    with the categories and enterprises it sums over. Unique on (day, category, enterprise, metric, shard):
    writers add to the row with one upsert, on PostgreSQL to one of a few shards each (concurrent transactions
    then mostly write different rows), and readers sum the shards; past days' shards are folded into shard 0.
    """

    day = Date()
    month = Varchar(length=7)  # "2026-11": monthly series group on it
    category = Varchar(length=30)
    enterprise = Integer()
    metric = Varchar(length=80)
    count = Integer(default=0)
    shard = Integer(default=0)


class MonthlyCount(Table, tablename="insight_monthly"):
    """The same counts summed by month: whole months of a range are read here (30 times fewer rows)."""

    month = Varchar(length=7)
    category = Varchar(length=30)
    enterprise = Integer()
    metric = Varchar(length=80)
    count = Integer(default=0)
    shard = Integer(default=0)


class CaseFact(Table, tablename="insight_case_fact"):
    """What the rollups need to remember about one case (whether its first response or closing was counted)."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True)
    enterprise = Integer()
    category = Varchar(length=30)
    filed_at = Timestamptz()
    first_response_days = Integer(null=True, default=None)
    closing_days = Integer(null=True, default=None)
    outcome = Varchar(length=30, null=True, default=None)  # the state of its first closing
    settled = Integer(default=0)  # 1 once it reached a settlement
    mediator = Integer(null=True, default=None)  # who held it when last counted (its `open:` counts)


class Alert(Table, tablename="insight_alert"):
    """A risk signal: a day whose count for an enterprise or category lies far above its own history."""

    kind = Varchar(length=30)  # enterprise_spike | category_spike | category_share
    enterprise = Integer(null=True, default=None)
    category = Varchar(length=30, null=True, default=None)
    day = Date()  # the day scored (the API calls it `window`)
    observed = Integer()
    expected = DoublePrecision()
    score = DoublePrecision()
    opened_at = Timestamptz()
    state = Varchar(length=20, default="open")  # open | acknowledged | dismissed
    decided_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    note = Varchar(length=500, default="")
