"""Guided filing: reading a diagnosis's answers, what they lead to (rights, evidence, the letter to the merchant,
or a referral out of remit), the filing form's prefill, and the counts of diagnoses and the filings that
followed them. No HTTP here; the content is data (guide/content.py)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from accord import events
from accord.db import write_transaction
from accord.errors import NotFound
from accord.i18n import N_, gettext
from cases.filing import FILING_GUIDED
from cases.tables import Category
from guide.content import GUIDED, IN_REMIT, CategoryGuide, GuideContent, Question, Referral, Topic
from guide.tables import Diagnosis

TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
DESCRIPTION_LIMIT = 5000  # the filing form's description
CHOOSE = N_("Choose one of the answers.")
TOO_LONG = N_("Keep this under %(n)d characters.")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def token_or_none(text: str | None) -> str | None:
    """A diagnosis's id as a form or link carried it, or None when it is not one we could have made."""
    return text if text and TOKEN.fullmatch(text) else None


def guided_category(name: str) -> Category:
    """The category of `/guide/{category}`; anything else is not a page (404)."""
    if name not in {category.value for category in GUIDED}:
        raise NotFound(gettext(N_("There is no guide for this.")))
    return Category(name)


def clean_text(value: str) -> str:
    """A typed answer on one line: control and format characters dropped, spaces squeezed."""
    kept = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in " \t")
    return " ".join(kept.split())


@dataclass(frozen=True)
class Answers:
    values: dict[str, str]  # question key → the option's value, or the typed text
    errors: dict[str, str]  # question key → what is wrong

    @property
    def complete(self) -> bool:
        return not self.errors


def read_answers(content: GuideContent, category: Category, given: Mapping[str, str]) -> Answers:
    """The answers to the category's questions among `given` (a query string): an answer that is not one of the
    options, or text beyond its field's length, is an error on that question, never taken."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in content.questions_of(category):
        raw = given.get(question.key) or ""
        if question.kind == "choice":
            if raw in {option.value for option in question.options}:
                values[question.key] = raw
            elif question.required:
                errors[question.key] = gettext(CHOOSE)
            continue
        text = clean_text(raw)
        if len(text) > question.max_length:
            errors[question.key] = gettext(TOO_LONG) % {"n": question.max_length}
        elif text:
            values[question.key] = text
    return Answers(values, errors)


@dataclass(frozen=True)
class Outcome:
    key: str  # IN_REMIT, or the referral's key
    referral: Referral | None
    rights: list[Topic] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    letter_subject: str = ""
    letter_body: str = ""
    prefill: dict[str, str] = field(default_factory=dict)  # the filing form's fields


def _option(question: Question, value: str | None) -> Any:
    return next((option for option in question.options if option.value == value), None)


def diagnose(content: GuideContent, category: Category, answers: Answers) -> Outcome:
    """Where complete answers lead: the first answer out of remit ends in its referral; otherwise the category's
    rights (and those the answers add), the evidence to gather, the letter, and the filing form's values."""
    guide = content.categories[category]
    questions = content.questions_of(category)
    chosen = [(q, _option(q, answers.values.get(q.key))) for q in questions if q.kind == "choice"]
    for _question, option in chosen:
        if option is not None and option.referral:
            return Outcome(option.referral, content.referrals[option.referral], prefill=_prefill(content, category, answers))
    topics = list(dict.fromkeys([*guide.rights, *(r for _q, o in chosen if o is not None for r in o.rights)]))
    subject, body = _letter(content, guide, answers)
    return Outcome(
        IN_REMIT,
        None,
        rights=[content.rights[topic] for topic in topics],
        evidence=[content.evidence[item] for item in guide.evidence],
        letter_subject=subject,
        letter_body=body,
        prefill=_prefill(content, category, answers),
    )


def _remedy(content: GuideContent, guide: CategoryGuide, answers: Answers) -> str:
    remedy_question = next((q for q in content.common if q.fills == "desired_remedy"), None)
    chosen = answers.values.get(remedy_question.key) if remedy_question else None
    return chosen or guide.remedy


class _Blanks(dict[str, str]):
    def __init__(self, values: dict[str, str], blank: str) -> None:
        super().__init__(values)
        self.blank = blank

    def __missing__(self, key: str) -> str:
        return self.blank


def _letter(content: GuideContent, guide: CategoryGuide, answers: Answers) -> tuple[str, str]:
    """The letter with the answers in it; what was not answered is a blank to fill in."""
    named = {q.fills: answers.values[q.key] for q in content.common if q.kind == "text" and q.key in answers.values}
    fields = _Blanks({**named, "remedy": content.remedies[_remedy(content, guide, answers)]}, content.words.not_given)
    return guide.letter.subject.format_map(fields), guide.letter.body.format_map(fields)


def _prefill(content: GuideContent, category: Category, answers: Answers) -> dict[str, str]:
    """The filing form's fields the answers fill: category, remedy, the typed order number, product and shop,
    and a description listing the answers in words (the consumer edits it there)."""
    guide = content.categories[category]
    prefill = {"category": category.value, "desired_remedy": _remedy(content, guide, answers)}
    lines = [guide.title]
    for question in content.questions_of(category):
        value = answers.values.get(question.key)
        if value is None:
            continue
        if question.kind == "text":
            if question.fills:
                prefill[question.fills] = value
            continue
        option = _option(question, value)
        lines.append(f"{question.text} {option.label}")
    prefill["description"] = "\n".join(lines)[:DESCRIPTION_LIMIT]
    return prefill


# --- counting --------------------------------------------------------------------------------------


async def record(token: str, category: Category, outcome: str, language: str, at: datetime) -> None:
    """Count a completed diagnosis once: a reload of its outcome page (same token) counts nothing more."""
    async with write_transaction():
        await Diagnosis.insert(
            Diagnosis(token=token, category=category.value, outcome=outcome, language=language, at=at)
        ).on_conflict(target=Diagnosis.token, action="DO NOTHING")


async def on_filing_guided(event: events.DomainEvent) -> None:
    """Transaction phase of a filing made from a diagnosis's link: the diagnosis was followed by a complaint (the
    first filing counts; a token nobody made marks nothing)."""
    if event.kind != FILING_GUIDED:
        return
    token = token_or_none(event.data.get("guide_id"))
    if token is None:
        return
    await Diagnosis.update({Diagnosis.followed_at: event.data["at"]}).where(
        Diagnosis.token == token, Diagnosis.followed_at.is_null()
    )


@dataclass(frozen=True)
class CategoryCount:
    category: str
    diagnoses: int
    followed: int  # followed by a complaint
    referred: int  # ended out of remit

    @property
    def without_case(self) -> int:
        return self.diagnoses - self.followed


async def counts(since: datetime | None = None, before: datetime | None = None) -> list[CategoryCount]:
    """Per guided category (every one, zeros included): diagnoses completed from `since` to before `before`, how
    many a complaint followed, how many ended out of remit."""
    query = Diagnosis.select(
        Diagnosis.category,
        Diagnosis.outcome,
        Count(Diagnosis.id, alias="diagnoses"),
        Count(Diagnosis.followed_at, alias="followed"),
    ).group_by(Diagnosis.category, Diagnosis.outcome)
    if since is not None:
        query = query.where(Diagnosis.at >= since)
    if before is not None:
        query = query.where(Diagnosis.at < before)
    rows = await query
    totals = {category.value: [0, 0, 0] for category in GUIDED}
    for row in rows:
        total = totals.setdefault(row["category"], [0, 0, 0])
        total[0] += row["diagnoses"]
        total[1] += row["followed"]
        if row["outcome"] != IN_REMIT:
            total[2] += row["diagnoses"]
    return [CategoryCount(category, *numbers) for category, numbers in totals.items()]
