"""Demo traceability: a brand with a GS1 company prefix, EPCIS events for a few hundred serialised items, and
demo cases whose trace checks come out verified, unknown, mismatch and cloned.

Runs after the demo cases (module order), so the counterfeit-formula case filed there is checked again when
the brand's events arrive, and becomes a clone once another consumer claims the same tin.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from accord.auth import Viewer
from accord.clock import Calendar, Clock, FrozenClock
from accounts.schemas import EnterpriseIn
from accounts.seed import DEMO_PASSWORD
from accounts.service import USER_COLUMNS, act_as, create_enterprise, create_user
from accounts.tables import Enterprise, Role, User
from accounts.uscc import uscc_check_character
from cases import service as cases
from cases.gs1 import gs1_check_digit
from cases.schemas import CaseFilingIn
from cases.workflow import Context
from traceability import service
from traceability.tables import CompanyPrefix

ZONE = ZoneInfo("Asia/Shanghai")
BRAND_USCC = "91330100MA2DEM001" + uscc_check_character("91330100MA2DEM001")
BRAND_AGENT = "brand@demo.test"
PREFIX = "952123"  # GS1's demonstration range (952), so no real company's
WESTLAKE = "91330100716105852F"  # the demo merchant the cases are against


def _gtin(item: str) -> str:
    body = "0" + PREFIX + item
    return body + gs1_check_digit(body)


FORMULA = _gtin("454321")  # 09521234543213: the tin in the demo's counterfeit-formula case
THERMOS = _gtin("500011")
ITEMS = 300


def _epc(gtin: str, serial: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/21/{serial}"


def _event(step: str, epcs: list[str], at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "ADD" if step == "commissioning" else "OBSERVE",
        "bizStep": step,
        "epcList": epcs,
        "eventTime": at.isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "readPoint": {"id": "urn:epc:id:sgln:952123.00001.0"},
        **extra,
    }


def serials() -> list[tuple[str, str]]:
    """(gtin, serial) of every demo item: 200 tins of formula (one of them "XYZ") and 100 thermoses."""
    formula = [(FORMULA, "XYZ")] + [(FORMULA, f"F{n:04d}") for n in range(1, 200)]
    return formula + [(THERMOS, f"T{n:04d}") for n in range(1, ITEMS - len(formula) + 1)]


def waybill_of(index: int) -> str:
    return f"SF14028833{index:05d}"


def demo_document(now: datetime) -> bytes:
    """Commissioned 120 days ago in lots of 50; shipped by SF in tens; received; some sold on Tmall; a lot of
    ten tins destroyed (water damage) 60 days ago."""
    items = serials()
    start = (now - timedelta(days=120)).astimezone(ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    events: list[dict[str, Any]] = []
    for lot in range(0, len(items), 50):
        epcs = [_epc(g, s) for g, s in items[lot : lot + 50]]
        events.append(_event("commissioning", epcs, start + timedelta(hours=lot // 50)))
    for batch in range(0, 260, 10):
        epcs = [_epc(g, s) for g, s in items[batch : batch + 10]]
        shipped = start + timedelta(days=10 + batch // 50)
        events.append(
            _event(
                "shipping",
                epcs,
                shipped,
                bizTransactionList=[{"type": "desadv", "bizTransaction": waybill_of(batch // 10)}],
                destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:952123.00002"}],
            )
        )
        events.append(_event("receiving", epcs, shipped + timedelta(days=2)))
    for index, (gtin, serial) in enumerate(items[:120]):
        sold = start + timedelta(days=30 + index // 10)
        order = "TM-8801" + f"{index:06d}"
        events.append(
            _event(
                "retail_selling",
                [_epc(gtin, serial)],
                sold,
                bizTransactionList=[{"type": "inv", "bizTransaction": order}],
            )
        )
    destroyed = [_epc(g, s) for g, s in items[190:200]]
    events.append(_event("decommissioning", destroyed, start + timedelta(days=60), disposition="destroyed"))
    return json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}).encode()


async def _viewer(email: str) -> Viewer | None:
    user = await User.select(*USER_COLUMNS).where(User.email == email).first()
    return act_as(user) if user else None


async def _brand_agent(clock: Clock) -> Viewer:
    if not await Enterprise.exists().where(Enterprise.uscc == BRAND_USCC):
        await create_enterprise(
            EnterpriseIn(name="Nutrilake Dairy (Hangzhou) Co., Ltd.", uscc=BRAND_USCC, country="CN"),
            clock,
            verified=True,
        )
    if await _viewer(BRAND_AGENT) is None:
        await create_user(
            email=BRAND_AGENT,
            password=DEMO_PASSWORD,
            role=Role.merchant,
            display_name="Sun Li (Nutrilake brand protection)",
            language="zh-Hans",
            enterprise_uscc=BRAND_USCC,
            clock=clock,
        )
    agent = await _viewer(BRAND_AGENT)
    assert agent is not None
    return agent


async def _file(consumer: Viewer, now: datetime, calendar: Calendar, purchased: int, **filing: Any) -> str:
    # Filed now, after the demo cases' stories: the record of the case this one clones is told in order.
    clock = FrozenClock(now)
    context = Context(clock=clock, calendar=calendar, zone=ZONE)
    westlake = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == WESTLAKE).first()
    assert westlake is not None
    today = clock.now().astimezone(ZONE).date()
    data = CaseFilingIn.model_validate(
        {"enterprise_id": westlake["id"], "purchase_date": today - timedelta(days=purchased), **filing}
    )
    result = await cases.file_case(consumer, data, context, today)
    return str(result.case["reference"])


async def seed_demo_trace(clock: Clock, calendar: Calendar) -> None:
    """The brand, its prefix and events, and the demo cases that show each trace-check result."""
    if await CompanyPrefix.exists().where(CompanyPrefix.prefix == PREFIX):
        return
    now = clock.now()
    agent = await _brand_agent(clock)
    registrar = await _viewer("admin@demo.test")
    assert registrar is not None and agent.enterprise_id is not None
    await service.add_prefix(registrar, agent.enterprise_id, PREFIX, clock)
    await service.ingest(agent, demo_document(now), clock)
    await service.check_unchecked(now)  # the demo cases filed before the brand's events (no subscriber in a seed)
    emma, zhao, li = [
        await _viewer(e) for e in ("emma.schneider@demo.test", "zhao.yun@demo.test", "consumer@demo.test")
    ]
    if not (emma and zhao and li):
        return  # the demo cases were not seeded: the brand's items are there, the cases are not
    thermos = {
        "category": "defective",
        "platform": "JD Worldwide",
        "product_name": "Nutrilake stainless thermos 500 ml",
        "desired_remedy": "replacement",
        "language": "en",
    }
    # Verified: shipped by the brand under the waybill the consumer gives (T0040 went out in batch 23).
    await _file(
        emma,
        now,
        calendar,
        10,
        **thermos,
        order_number="JD-77120045",
        trace_code=f"(01){THERMOS}(21)T0040",
        waybill=waybill_of(23),
        waybill_carrier="sf",
        description="The lid seal split after two weeks; the thermos leaks.",
    )
    # Unknown: a serial the brand never issued.
    await _file(
        emma,
        now,
        calendar,
        8,
        **thermos,
        order_number="JD-77120981",
        trace_code=f"(01){THERMOS}(21)T9999",
        description="The vacuum layer does not keep anything warm.",
    )
    formula = {
        "category": "counterfeit",
        "platform": "Tmall Global",
        "product_name": "Nutrilake infant formula stage 3, 900 g",
        "desired_remedy": "return_and_refund",
        "language": "zh-Hans",
    }
    # Mismatch: a tin from the lot the brand destroyed 60 days ago, "bought" a week ago.
    await _file(
        li,
        now,
        calendar,
        7,
        **formula,
        order_number="TM-3318201144",
        trace_code=f"(01){FORMULA}(21)F0195",
        description="罐身追溯码扫出来是品牌方已销毁的批次。",
    )
    # Cloned: the tin of the demo's counterfeit-formula case, claimed again under another order.
    await _file(
        zhao,
        now,
        calendar,
        5,
        **formula,
        order_number="TM-3318209921",
        trace_code=f"(01){FORMULA}(10)ABC123(21)XYZ",
        description="同一个追溯码，官方小程序提示该码已被多次查询。",
    )
    await service.check_unchecked(now)
