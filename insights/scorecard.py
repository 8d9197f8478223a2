"""A merchant's scorecard: its rates over a range beside the platform's median enterprise, with the thresholds
a marketplace acts on (as Amazon's order-defect rate or eBay's cases closed without seller resolution do).

Each measure has a target (status "ok") and a line past which the enterprise is "at_risk"; between them it
is "watch". The platform median is the median over enterprises with at least 5 complaints in the range.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from accord.auth import Viewer
from accord.errors import NotFound
from accord.i18n import N_, gettext, register_labels
from accounts.tables import Enterprise
from insights.service import Filters, enterprise_rates, rates_of


@dataclass(frozen=True)
class Measure:
    name: str
    higher_is_better: bool
    target: float
    at_risk: float


MEASURES = (
    Measure("response_rate", True, 0.9, 0.75),
    Measure("first_response_median", False, 3, 7),  # working days; the deadline is 10
    Measure("settlement_rate", True, 0.5, 0.3),
    Measure("fulfilment_rate", True, 0.95, 0.9),
    Measure("breach_rate", False, 0.05, 0.1),
    Measure("cases_per_month", False, 5, 20),
)
register_labels(
    "measure",
    {
        "response_rate": N_("Complaints answered"),
        "first_response_median": N_("Working days to the first response (median)"),
        "settlement_rate": N_("Complaints settled"),
        "fulfilment_rate": N_("Settlements kept"),
        "breach_rate": N_("Settlements not kept"),
        "cases_per_month": N_("Complaints a month"),
    },
)
register_labels("standing", {"ok": N_("on target"), "watch": N_("watch"), "at_risk": N_("at risk")})


def standing(measure: Measure, value: float | None) -> str | None:
    if value is None:
        return None
    if measure.higher_is_better:
        return "ok" if value >= measure.target else "at_risk" if value < measure.at_risk else "watch"
    return "ok" if value <= measure.target else "at_risk" if value > measure.at_risk else "watch"


def may_see(viewer: Viewer, enterprise_id: int) -> bool:
    """The enterprise's own (approved) agents, registrars and mediators."""
    return viewer.role in ("admin", "mediator") or viewer.enterprise_id == enterprise_id


def _with_monthly(rates: dict[str, Any], months: float) -> dict[str, Any]:
    return {**rates, "cases_per_month": round(rates["filed"] / months, 2)}


async def scorecard(enterprise_id: int, viewer: Viewer, filters: Filters) -> dict[str, Any]:
    if not may_see(viewer, enterprise_id):
        raise NotFound(gettext("There is no such enterprise."))
    enterprise = (
        await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh)
        .where(Enterprise.id == enterprise_id)
        .first()
    )
    if enterprise is None:
        raise NotFound(gettext("There is no such enterprise."))
    months = max(((filters.end - filters.start).days + 1) / 30.44, 1 / 30.44)
    own = _with_monthly(await rates_of(Filters(filters.start, filters.end, enterprise_id=enterprise_id)), months)
    peers = [_with_monthly(row, months) for row in await enterprise_rates(Filters(filters.start, filters.end))]
    measures = []
    for measure in MEASURES:
        values = [row[measure.name] for row in peers if row[measure.name] is not None]
        measures.append(
            {
                "name": measure.name,
                "value": own[measure.name],
                "platform_median": round(statistics.median(values), 4) if values else None,
                "target": measure.target,
                "at_risk": measure.at_risk,
                "higher_is_better": measure.higher_is_better,
                "standing": standing(measure, own[measure.name]),
            }
        )
    return {
        "enterprise_id": enterprise_id,
        "name": enterprise["name"],
        "name_zh": enterprise["name_zh"],
        "from_date": filters.start,
        "to_date": filters.end,
        "filed": own["filed"],
        "peers": len(peers),
        "measures": measures,
    }
