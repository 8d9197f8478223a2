"""The diagnoses people completed: counts only, never who (no person, answer, order or address)."""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
from piccolo.table import Table


class Diagnosis(Table, tablename="guide_diagnosis"):
    """One completed diagnosis: its category, where it ended (`in_remit` or a referral's key), the language it
    was read in, and when; `followed_at` once a complaint was filed from it. `token` is the random id the
    outcome page and the filing form carry (`guide_id`): a reload counts once, and only that form marks it."""

    token = Varchar(length=32, unique=True)
    category = Varchar(length=30, index=True)
    outcome = Varchar(length=40)
    language = Varchar(length=10)
    at = Timestamptz()
    followed_at = Timestamptz(null=True, default=None)
