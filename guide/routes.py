"""Guided filing's pages (`/guide`, `/guide/{category}`: anyone, no sign-in), the registrars' counts
(`/admin/guide`) and their JSON (`GET /api/v1/guide/stats`). Thin: the diagnosis is guide/service.py, the
words are guide/content/<language>.toml. The questions are a GET form, so the guide works without JavaScript
and its outcome is a link that can be kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from pydantic import BaseModel, Field

from accord.auth import Viewer, require_role
from accord.clock import Clock
from accord.errors import InvalidInput
from accord.i18n import N_, current_language, gettext
from accord.settings import Settings
from accord.validation import day_asked
from accord.web import page
from guide import service
from guide.content import GUIDED, content


def _content() -> Any:
    return content(current_language())


@get("/guide")
async def guide_page() -> Any:
    guides = _content().categories
    return page("guide/index.html", categories=[(category.value, guides[category]) for category in GUIDED])


@get("/guide/{category:str}")
async def diagnosis_page(request: Request[Any, Any, Any], clock: NamedDependency[Clock], category: FromPath[str]) -> Any:
    """The category's questions; once they are answered (`done`), where they lead. An outcome is counted once
    per diagnosis (its `guide_id`, made when the questions were first shown)."""
    chosen = service.guided_category(category)
    words = _content()
    guide = words.categories[chosen]
    query = request.query_params
    token = service.token_or_none(query.get("guide_id")) or service.new_token()
    answers = service.read_answers(words, chosen, query)
    questions = words.questions_of(chosen)
    if not query.get("done") or not answers.complete:
        shown = {q.key: query.get(q.key) or "" for q in questions if q.kind == "text"} | answers.values
        return page(
            "guide/questions.html",
            status=422 if query.get("done") else 200,
            category=chosen.value,
            guide=guide,
            questions=questions,
            answers=shown,
            errors=answers.errors if query.get("done") else {},
            token=token,
        )
    outcome = service.diagnose(words, chosen, answers)
    await service.record(token, chosen, outcome.key, current_language(), clock.now())
    return page(
        "guide/outcome.html",
        category=chosen.value,
        guide=guide,
        outcome=outcome,
        file_link="/cases/new?" + urlencode({**outcome.prefill, "guide_id": token}),
        change_link=f"/guide/{chosen.value}?" + urlencode({**answers.values, "guide_id": token}),
    )


Start = Annotated[str | None, QueryParameter(name="from", description="first day, YYYY-MM-DD (default: all time)")]
End = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD (default: today)")]


EARLIEST, LATEST = date(2000, 1, 1), date(9000, 1, 1)


@dataclass(frozen=True)
class Period:
    first: date | None
    last: date | None
    since: datetime | None  # the first day's start where the deployment is
    before: datetime | None  # the start of the day after the last


async def provide_period(settings: NamedDependency[Settings], start: Start = None, end: End = None) -> Period:
    """The days asked for, as moments in the deployment's time zone (both ends optional)."""
    first, last = day_asked("from", start), day_asked("to", end)
    if first and last and first > last:
        raise InvalidInput.one("from", gettext(N_("The first day must not be after the last.")))

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(), settings.timezone)

    # No diagnosis is older than the guide or dated far ahead: a bound beyond those bounds nothing (and the
    # first and last days a date can have are no moments in every time zone).
    return Period(
        first,
        last,
        start_of(first) if first and first > EARLIEST else None,
        start_of(last + timedelta(days=1)) if last and last < LATEST else None,
    )


_registrars = {"viewer": Provide(require_role("admin")), "period": Provide(provide_period)}


@get("/admin/guide", dependencies=_registrars)
async def guide_counts_page(viewer: NamedDependency[Viewer], period: NamedDependency[Period]) -> Any:
    rows = await service.counts(period.since, period.before)
    return page("guide/counts.html", rows=rows, period=period)


class CategoryCountOut(BaseModel):
    category: str
    diagnoses: int = Field(description="diagnoses completed")
    followed_by_case: int = Field(description="of those, followed by a complaint filed from the outcome's link")
    without_case: int = Field(description="of those, ended without a complaint")
    referred: int = Field(description="of those, ended out of remit (a referral to a court, customs, 12315...)")


class GuideStatsOut(BaseModel):
    from_date: date | None = Field(description="the first day counted (null: from the first diagnosis)")
    to_date: date | None = Field(description="the last day counted (null: up to now)")
    items: list[CategoryCountOut]
    diagnoses: int
    followed_by_case: int
    without_case: int


@get("/guide/stats", dependencies=_registrars, summary="Diagnoses of the filing guide, and how many a complaint followed (registrars)")
async def api_guide_stats(viewer: NamedDependency[Viewer], period: NamedDependency[Period]) -> GuideStatsOut:
    rows = await service.counts(period.since, period.before)
    return GuideStatsOut(
        from_date=period.first,
        to_date=period.last,
        items=[
            CategoryCountOut(
                category=row.category,
                diagnoses=row.diagnoses,
                followed_by_case=row.followed,
                without_case=row.without_case,
                referred=row.referred,
            )
            for row in rows
        ],
        diagnoses=sum(row.diagnoses for row in rows),
        followed_by_case=sum(row.followed for row in rows),
        without_case=sum(row.without_case for row in rows),
    )


api_router = Router(path="/api/v1", route_handlers=[api_guide_stats], tags=["guide"])
page_routes = [guide_page, diagnosis_page, guide_counts_page]
