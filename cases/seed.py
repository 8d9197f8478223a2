"""Demo cases (DESIGN §2): one or more in every state, reached only through filing and `apply()`.

Each story below files a case and plays it forward the way people would, on a local frozen clock that
starts weeks in the past and only moves forward, so the record, the deadlines and the conversation all
carry believable timestamps. Nothing writes a state directly: the hash-chained record stays verifiable
and the demo shows exactly what the product does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from accord.auth import Viewer
from accord.clock import Calendar, Clock, FrozenClock
from accounts.seed import DEMO_PASSWORD, DEMO_PLATFORM
from accounts.service import USER_COLUMNS, act_as, create_user
from accounts.tables import Enterprise, Role, User
from cases import service
from cases.schemas import CaseFilingIn, MessageIn
from cases.tables import Deadline, Offer
from cases.workflow import Context, apply

# The demo parties live in China: steps happen during their working day, not at 3 a.m.
DEMO_TIMEZONE = ZoneInfo("Asia/Shanghai")
WESTLAKE = "91330100716105852F"  # has the demo merchant agent
SHENZHEN_BAY = "914403001922038216"  # no agent: cases against it run into the response timeout
HARBOUR_HEALTH = "91110000600037341L"  # no agent either
MARKETPLACE = DEMO_PLATFORM.uscc  # the demo platform (platform@demo.test): it answers for the cases naming it
# Consumers besides the demo one, so merchant and mediator lists show more than one complainant.
EXTRA_CONSUMERS = [
    ("zhao.yun@demo.test", "Zhao Yun", "zh-Hans"),
    ("emma.schneider@demo.test", "Emma Schneider", "en"),
]


async def _user(email: str) -> Viewer:
    user = await User.select(*USER_COLUMNS).where(User.email == email).first()
    if user is None:
        raise LookupError(f"demo user {email} is missing: seed the demo accounts first")
    return act_as(user)


async def _extra_consumer(email: str, name: str, language: str, clock: Clock) -> Viewer:
    """Found by email, created when absent, so seeding works next to existing users."""
    if not await User.exists().where(User.email == email):
        await create_user(
            email=email, password=DEMO_PASSWORD, role=Role.consumer, display_name=name, language=language, clock=clock
        )
    return await _user(email)


async def _enterprise_id(uscc: str) -> int:
    enterprise = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == uscc).first()
    if enterprise is None:
        raise LookupError(f"demo enterprise {uscc} is missing: seed the demo accounts first")
    return int(enterprise["id"])


@dataclass(frozen=True)
class Cast:
    li: Viewer  # consumer@demo.test
    zhao: Viewer
    emma: Viewer
    merchant: Viewer  # merchant@demo.test, agent of Westlake
    mediator: Viewer
    platform: Viewer  # platform@demo.test, agent of the demo marketplace the demo merchants sell on
    enterprises: dict[str, int]  # USCC → id


async def _cast(clock: Clock) -> Cast:
    extra = [await _extra_consumer(email, name, language, clock) for email, name, language in EXTRA_CONSUMERS]
    return Cast(
        li=await _user("consumer@demo.test"),
        zhao=extra[0],
        emma=extra[1],
        merchant=await _user("merchant@demo.test"),
        mediator=await _user("mediator@demo.test"),
        platform=await _user("platform@demo.test"),
        enterprises={
            uscc: await _enterprise_id(uscc) for uscc in (WESTLAKE, SHENZHEN_BAY, HARBOUR_HEALTH, MARKETPLACE)
        },
    )


class Story:
    """Plays one case forward on a frozen clock that never passes the real "now"."""

    def __init__(self, cast: Cast, now: datetime, days_ago: int, at: time, calendar: Calendar) -> None:
        self.cast = cast
        self.now = now
        local_start = datetime.combine((now - timedelta(days=days_ago)).astimezone(DEMO_TIMEZONE).date(), at)
        self.clock = FrozenClock(min(local_start.replace(tzinfo=DEMO_TIMEZONE), now))
        # Due dates end at the end of the day in Shanghai, as the app's own context has them.
        self.context = Context(clock=self.clock, calendar=calendar, zone=DEMO_TIMEZONE)
        self.reference = ""

    def later(self, *, days: int = 0, hours: int = 0, minutes: int = 0) -> None:
        self.clock.set(min(self.clock.now() + timedelta(days=days, hours=hours, minutes=minutes), self.now))

    def today(self) -> date:
        return self.clock.now().date()

    def in_days(self, days: int) -> str:
        return (self.today() + timedelta(days=days)).isoformat()

    async def file(
        self, consumer: Viewer, uscc: str, purchased_days_before: int, on_marketplace: bool = False, **filing: Any
    ) -> None:
        """`on_marketplace`: bought on the demo platform, which the case then names (its agents join the case)."""
        if on_marketplace:
            filing.update(platform=DEMO_PLATFORM.name, platform_enterprise_id=self.cast.enterprises[MARKETPLACE])
        data = CaseFilingIn.model_validate(
            {
                "enterprise_id": self.cast.enterprises[uscc],
                "purchase_date": self.today() - timedelta(days=purchased_days_before),
                **filing,
            }
        )
        result = await service.file_case(consumer, data, self.context, self.today())
        self.reference = result.case["reference"]

    async def act(self, viewer: Viewer | None, action: str, payload: dict[str, Any] | None = None) -> None:
        await apply(self.reference, action, viewer, payload or {}, self.context)

    async def say(self, viewer: Viewer, text: str) -> None:
        await service.post_message(viewer, self.reference, MessageIn(channel="joint", text=text), self.context)

    async def open_offer(self) -> int:
        """The newest offer a party could still accept or reject."""
        offer = (
            await Offer.select(Offer.id)
            .where(Offer.case.reference == self.reference, Offer.status == "open", Offer.by_role != "mediator")
            .order_by(Offer.id, ascending=False)
            .first()
        )
        if offer is None:
            raise LookupError(f"{self.reference} has no open offer")
        return int(offer["id"])

    async def until_deadline(self, name: str) -> None:
        """Jump to the moment a deadline runs out, as the sweeper would see it."""
        deadline = (
            await Deadline.select(Deadline.due_at)
            .where(Deadline.case.reference == self.reference, Deadline.name == name, Deadline.closed_at.is_null())
            .first()
        )
        if deadline is None:
            raise LookupError(f"{self.reference} has no open {name} deadline")
        self.clock.set(min(max(deadline["due_at"], self.clock.now()), self.now))


def _money(amount: str, currency: str = "CNY") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


# --- the stories, oldest first so references follow the filing order ----------------------------


async def _resolved_shaver(story: Story) -> None:
    """Negotiated replacement, delivered and confirmed, then rated."""
    li, merchant = story.cast.li, story.cast.merchant
    await story.file(
        li,
        WESTLAKE,
        purchased_days_before=9,
        category="defective",
        order_number="TM-3312098871",
        platform="Tmall Global",
        product_name="Braun Series 7 electric shaver 71-S7200cc",
        gtin="4210201194538",
        waybill="SF1402883301276",
        amount_paid=_money("1899.00"),
        desired_remedy="replacement",
        description="收到的剃须刀无法充电，充电指示灯一直不亮。换了两个插座和原装充电线，情况一样。",
        language="zh-Hans",
    )
    story.later(days=1, hours=2)
    replacement = {"type": "replacement", "description": "全新同型号剃须刀，顺丰包邮"}
    await story.act(
        merchant,
        "respond",
        {
            "kind": "offer",
            "remedies": [replacement],
            "text": "非常抱歉，我们为您换一台新的。",
            "fulfil_by": story.in_days(10),
        },
    )
    story.later(hours=5, minutes=12)
    await story.act(li, "accept_offer", {"offer_id": await story.open_offer()})
    story.later(hours=20)
    await story.say(merchant, "新机已从杭州保税仓发出，顺丰单号 SF1402883301987，请留意查收。")
    story.later(days=3, hours=4)
    await story.act(merchant, "mark_fulfilled", {"proof": "顺丰 SF1402883301987 已于今天上午签收。"})
    story.later(days=1, hours=6)
    await story.say(li, "新剃须刀收到了，可以正常充电，谢谢。")
    await story.act(li, "confirm_fulfilment")
    story.later(minutes=3)
    await story.act(li, "rate", {"score": 5, "comment": "商家处理很快。"})


async def _unresolved_manuka_honey(story: Story) -> None:
    """A merchant without agents never answers: timeout, mediation, unanswered question, closed."""
    li, mediator = story.cast.li, story.cast.mediator
    await story.file(
        li,
        HARBOUR_HEALTH,
        purchased_days_before=20,
        category="counterfeit",
        order_number="JD-240118873301",
        platform="JD Worldwide",
        product_name="Manuka honey UMF 15+ 500 g",
        gtin="9421002542113",
        amount_paid=_money("468.00"),
        desired_remedy="refund",
        description="罐身上的 UMF 编号在新西兰 UMF 协会官网查不到，批次号也查不到，怀疑是假货。",
        language="zh-Hans",
    )
    await story.until_deadline("merchant_response")
    await story.act(None, "response_timeout")
    story.later(days=1, hours=1)
    await story.act(mediator, "claim")
    story.later(hours=2)
    await story.act(mediator, "admit")
    await story.say(mediator, "您好，我是调解员陈静。商家尚未在平台登记联系人，我会通过其注册地址和电话联系。")
    story.later(hours=1)
    question = "请提供该批次蜂蜜的入境货物检验检疫证明和 UMF 授权证书。"
    await story.act(mediator, "request_info", {"party": "merchant", "question": question})
    await story.until_deadline("information_due")
    await story.act(None, "information_timeout")
    story.later(days=1, hours=3)
    note = "商家始终未参与调解，也未提供任何材料。消费者可向市场监管部门投诉，本案记录可作为证据。"
    await story.act(mediator, "close_unresolved", {"note": note})
    story.later(hours=6)
    await story.act(li, "rate", {"score": 3, "comment": "调解员很负责，可惜商家不配合。"})


async def _declined_vacuum(story: Story) -> None:
    """A warranty claim filed long after the purchase: the mediator declines it (over three years)."""
    emma, merchant, mediator = story.cast.emma, story.cast.merchant, story.cast.mediator
    await story.file(
        emma,
        WESTLAKE,
        purchased_days_before=3 * 365 + 130,
        category="warranty",
        order_number="TM-1987730021",
        platform="Tmall Global",
        product_name="Dyson V8 Absolute cordless vacuum cleaner",
        amount_paid=_money("2490.00"),
        desired_remedy="repair",
        description=(
            "The battery of my Dyson V8 no longer holds a charge for more than two minutes. The product page "
            "promised 'lifetime support'; I would like the battery replaced under that promise."
        ),
        language="en",
    )
    story.later(days=2, hours=3)
    text = "The two-year manufacturer warranty ended long ago. We can sell you an original battery at cost."
    await story.act(merchant, "respond", {"kind": "reject", "text": text})
    story.later(days=1)
    await story.act(emma, "request_mediation", {"reason": "'Lifetime support' was part of the listing."})
    story.later(days=1, hours=2)
    await story.act(mediator, "claim")
    story.later(hours=4)
    note = "The purchase was more than three years before filing; the listing screenshot does not change that."
    await story.act(mediator, "decline", {"reason": "over_three_years", "note": note})


async def _breached_infant_formula(story: Story) -> None:
    """Mediated refund for suspected counterfeit formula; the refund paid short, so the consumer disputes."""
    li, merchant = story.cast.li, story.cast.merchant
    await story.file(
        li,
        WESTLAKE,
        purchased_days_before=6,
        on_marketplace=True,
        category="counterfeit",
        order_number="TM-3318200457",
        product_name="a2 Platinum infant formula stage 3, 900 g (2 cans)",
        trace_code="(01)09521234543213(10)ABC123(21)XYZ",
        amount_paid=_money("656.00"),
        desired_remedy="return_and_refund",
        description="扫描罐底追溯码后，官方小程序提示“该码已被多次查询”，奶粉颜色和气味也与之前买的不同。",
        language="zh-Hans",
    )
    story.later(days=1, hours=1)
    await story.act(merchant, "respond", {"kind": "reject", "text": "我们的货品均经正规渠道进口，有完整报关单据。"})
    story.later(hours=3)
    await story.say(li, "追溯码 (01)09521234543213(10)ABC123(21)XYZ 在官方小程序里显示已被查询 37 次。")
    story.later(days=1)
    await story.act(li, "request_mediation", {"reason": "涉及婴儿食品安全，希望调解员介入。"})
    await _mediate_formula(story)
    story.later(days=3, hours=2)
    await story.act(merchant, "mark_fulfilled", {"proof": "已原路退款，支付宝交易号 2026112522001409871234。"})
    story.later(days=1, hours=5)
    await story.act(li, "dispute_fulfilment", {"reason": "只收到退款 328.00 元，约定的是 656.00 元，少退了一罐。"})


async def _mediate_formula(story: Story) -> None:
    li, merchant, mediator = story.cast.li, story.cast.merchant, story.cast.mediator
    story.later(days=1, hours=2)
    await story.act(mediator, "claim")
    story.later(hours=1)
    await story.act(mediator, "admit")
    question = "请提供批次 ABC123 的入境货物检验检疫证明。"
    await story.act(mediator, "request_info", {"party": "merchant", "question": question})
    story.later(days=2, hours=4)
    await story.act(merchant, "provide_info", {"text": "检验检疫证明编号 310000126112233，批次与罐底一致。"})
    story.later(days=1, hours=3)
    terms = [{"type": "return_and_refund", "amount": _money("656.00"), "description": "退回两罐，全额退款"}]
    text = "证明材料无法排除串货可能。建议退货退款，运费由商家承担。"
    await story.act(mediator, "propose_settlement", {"terms": terms, "fulfil_by": story.in_days(7), "text": text})
    story.later(hours=5)
    await story.act(li, "accept_proposal")
    story.later(hours=18)
    await story.act(merchant, "accept_proposal")


async def _compensated_earbuds(story: Story) -> None:
    """Bought on the demo marketplace from an exporter that never answers: the platform pays the consumer in
    advance (先行赔付) and keeps an open recourse claim against the merchant; the consumer confirms receipt."""
    zhao, platform = story.cast.zhao, story.cast.platform
    await story.file(
        zhao,
        SHENZHEN_BAY,
        purchased_days_before=4,
        on_marketplace=True,
        category="not_delivered",
        order_number="WGM-2026-0042117",
        product_name="Wireless noise-cancelling earbuds, white",
        gtin="6972024512316",
        waybill="SF1302776549921",
        amount_paid=_money("399.00"),
        desired_remedy="refund",
        description="付款后商家一直没有发货，物流单号查不到任何信息，联系店铺客服也没有回复。",
        language="zh-Hans",
    )
    story.later(days=4, hours=2)
    await story.say(zhao, "已经一周了，商家还是没有任何回复。")
    await story.until_deadline("merchant_response")
    await story.act(None, "response_timeout")
    story.later(hours=20)
    await story.say(platform, "西湖全球购平台已介入：商家未履行发货义务，平台将先行赔付，再向商家追偿。")
    note = "平台已通过支付宝原路退还 399.00 元，交易号 2026111822001400556677。"
    await story.act(platform, "advance_compensate", {"amount": _money("399.00"), "note": note})
    story.later(days=1, hours=3)
    await story.say(zhao, "退款已经收到，谢谢平台。")
    await story.act(zhao, "confirm_compensation")


async def _appealed_knife(story: Story) -> None:
    """Declined for missing materials; the consumer appeals with them, waiting for a different mediator."""
    li, merchant, mediator = story.cast.li, story.cast.merchant, story.cast.mediator
    await story.file(
        li,
        WESTLAKE,
        purchased_days_before=12,
        category="not_delivered",
        order_number="JD-240207719925",
        platform="JD Worldwide",
        product_name="Zwilling Pro chef's knife 20 cm",
        gtin="4009839012341",
        waybill="JDV018827734412",
        amount_paid=_money("899.00"),
        desired_remedy="refund",
        description="物流显示包裹已由快递柜签收，但我从未收到取件码，快递柜也没有我的包裹。",
        language="zh-Hans",
    )
    story.later(days=2)
    await story.act(merchant, "respond", {"kind": "reject", "text": "物流记录显示包裹已签收，我们无法退款。"})
    story.later(hours=2)
    await story.say(li, "快递柜管理员说那天没有这个单号的投递记录。")
    story.later(days=1)
    await story.act(li, "request_mediation")
    story.later(days=1, hours=3)
    await story.act(mediator, "claim")
    story.later(days=1)
    note = "申请中没有订单截图，也没有快递柜或物业出具的记录，无法受理。"
    await story.act(mediator, "decline", {"reason": "materials_missing", "note": note})
    story.later(days=12, hours=4)
    reason = "已补充京东订单截图和物业出具的快递柜无投递记录证明，请重新审查。"
    await story.act(li, "appeal", {"reason": reason})


async def _withdrawn_vitamins(story: Story) -> None:
    """The parcel turned up after all; the consumer withdraws."""
    zhao, merchant = story.cast.zhao, story.cast.merchant
    await story.file(
        zhao,
        WESTLAKE,
        purchased_days_before=14,
        category="not_delivered",
        order_number="JD-240211003876",
        platform="JD Worldwide",
        product_name="Swisse 维生素D 软胶囊 400 IU ×250 粒",
        waybill="SF1302776541098",
        amount_paid=_money("159.00"),
        desired_remedy="refund",
        description="下单两周了，物流信息一直停在“清关中”，客服没有回复。",
        language="zh-Hans",
    )
    story.later(days=1, hours=4)
    text = "请确认收货地址是否为“杭州市西湖区文三路”，海关查验可能需要收件人身份证信息。"
    await story.act(merchant, "respond", {"kind": "question", "text": text})
    story.later(hours=3)
    await story.say(zhao, "地址正确，身份证信息已在京东上补充。")
    story.later(days=1, hours=2)
    await story.act(zhao, "withdraw", {"reason": "包裹今天在小区快递柜找到了，谢谢。"})


async def _in_mediation_casserole(story: Story) -> None:
    """Import tax charged twice: offers go back and forth, then a mediator asks for the tax receipt."""
    zhao, merchant = story.cast.zhao, story.cast.merchant
    await story.file(
        zhao,
        WESTLAKE,
        purchased_days_before=18,
        category="price_or_fees",
        order_number="AMZ-114-7720931-5561028",
        platform="Amazon Global",
        product_name="Le Creuset Signature cast iron casserole 24 cm",
        gtin="3024213305124",
        amount_paid=_money("289.00", "USD"),
        desired_remedy="partial_refund",
        description="订单页面写明“含进口税费”，但清关时快递公司又向我收取了 215 元税费。",
        language="zh-Hans",
    )
    story.later(days=1, hours=1)
    partial = [{"type": "partial_refund", "amount": _money("100.00")}]
    await story.act(merchant, "respond", {"kind": "offer", "remedies": partial, "text": "我们可以补偿 100 元。"})
    story.later(hours=6)
    await story.act(zhao, "reject_offer", {"offer_id": await story.open_offer(), "reason": "税费收据上是 215 元。"})
    tax = [{"type": "partial_refund", "amount": _money("215.00")}]
    await story.act(zhao, "counter_offer", {"remedies": tax, "text": "请退还重复收取的 215 元税费。"})
    story.later(days=2, hours=2)
    await story.act(merchant, "request_mediation", {"reason": "我们需要先核实快递公司是否真的重复收税。"})
    await _mediate_casserole(story)


async def _mediate_casserole(story: Story) -> None:
    zhao, merchant, mediator = story.cast.zhao, story.cast.merchant, story.cast.mediator
    story.later(days=1, hours=1)
    await story.act(mediator, "claim")
    story.later(hours=2)
    await story.act(mediator, "admit")
    await story.say(mediator, "双方好，我来协助处理重复收税的问题。先请消费者提供快递公司开具的税费收据。")
    await story.act(mediator, "request_info", {"party": "consumer", "question": "请上传快递公司的税费收据。"})
    story.later(days=1, hours=3)
    await story.act(zhao, "provide_info", {"text": "收据编号 DHL-CN-2611-44021，金额 215.00 元，已上传照片。"})
    story.later(hours=2)
    await story.say(merchant, "收到，我们正在与亚马逊海外购核对税费代缴记录，预计两个工作日内回复。")


async def _awaiting_mediator_charger(story: Story) -> None:
    """A consumer abroad against an exporter with no agent: the response clock runs out."""
    emma = story.cast.emma
    await story.file(
        emma,
        SHENZHEN_BAY,
        purchased_days_before=25,
        category="defective",
        order_number="AE-8123304471926650",
        platform="AliExpress",
        product_name="65 W GaN USB-C charger, 3 ports",
        gtin="6972024512309",
        amount_paid=_money("34.99", "EUR"),
        desired_remedy="refund",
        description=(
            "The charger gets so hot after ten minutes of charging a laptop that the plastic casing has "
            "deformed. I stopped using it for safety reasons and have photos of the damage."
        ),
        language="en",
    )
    story.later(days=3, hours=2)
    await story.say(emma, "Is anyone from the seller reading this? The charger is not safe to use.")
    await story.until_deadline("merchant_response")
    await story.act(None, "response_timeout")


async def _settled_sandals(story: Story) -> None:
    """The merchant accepts the consumer's counter-offer of an exchange; shipping is still due."""
    emma, merchant = story.cast.emma, story.cast.merchant
    await story.file(
        emma,
        WESTLAKE,
        purchased_days_before=11,
        category="not_as_described",
        on_marketplace=True,
        order_number="WG-EU-20931",
        product_name="Birkenstock Arizona sandals, EU 39",
        gtin="4001754056783",
        amount_paid=_money("129.00", "EUR"),
        desired_remedy="replacement",
        description="I ordered EU 39 but the box and the sandals are marked EU 37. The listing clearly said 39.",
        language="en",
    )
    story.later(hours=4)
    refund = [{"type": "return_and_refund", "amount": _money("129.00", "EUR")}]
    text = "Sorry about the mix-up. Please send them back and we refund you in full."
    await story.act(merchant, "respond", {"kind": "offer", "remedies": refund, "text": text})
    story.later(days=1, hours=1)
    exchange = [{"type": "replacement", "description": "Exchange for the correct EU 39 pair"}]
    text = "I would rather have the right size than a refund."
    await story.act(emma, "counter_offer", {"remedies": exchange, "text": text, "fulfil_by": story.in_days(10)})
    story.later(hours=5)
    await story.say(merchant, "EU 39 is in stock in our Hangzhou warehouse; we will ship it by SF International.")
    await story.act(merchant, "accept_offer", {"offer_id": await story.open_offer()})


async def _negotiating_dates(story: Story) -> None:
    """Still haggling: a partial refund offered, a full refund asked for."""
    li, merchant = story.cast.li, story.cast.merchant
    await story.file(
        li,
        WESTLAKE,
        purchased_days_before=7,
        category="defective",
        order_number="TM-3320019945",
        platform="Tmall Global",
        product_name="阿联酋 Medjool 椰枣礼盒 1 kg",
        gtin="6291041500213",
        amount_paid=_money("238.00"),
        desired_remedy="refund",
        description="打开礼盒后发现底层椰枣发霉，保质期还有八个月。已拍照保存。",
        language="zh-Hans",
    )
    story.later(days=1, hours=3)
    partial = [{"type": "partial_refund", "amount": _money("60.00")}]
    await story.act(merchant, "respond", {"kind": "offer", "remedies": partial, "text": "可能是运输受潮，补偿 60 元。"})
    story.later(hours=3)
    await story.say(li, "发霉的是整盒的三分之一，而且是食品，没法只吃上层。")
    refund = [{"type": "refund", "amount": _money("238.00")}]
    await story.act(li, "counter_offer", {"remedies": refund, "text": "食品发霉，请全额退款。"})
    story.later(hours=20)
    await story.say(merchant, "我们正在向仓库核实同批次的情况，明天答复您。")


async def _filed_fineliners(story: Story) -> None:
    """Just filed: the merchant's response clock is running."""
    li = story.cast.li
    await story.file(
        li,
        WESTLAKE,
        purchased_days_before=5,
        category="not_as_described",
        order_number="JD-240305118274",
        platform="JD Worldwide",
        product_name="STABILO point 88 fineliner set, 25 colours",
        gtin="4006381333931",
        amount_paid=_money("129.00"),
        desired_remedy="partial_refund",
        description=(
            "The box says 25 fineliners but only 20 were inside, although the seal was intact. "
            "I would like a refund for the five missing pens."
        ),
        language="en",
    )
    story.later(hours=1, minutes=20)
    await story.say(li, "The five missing colours are the neon ones shown on the listing photo.")


# (story, days before now it starts, local time of the filing)
STORIES = [
    (_resolved_shaver, 41, time(10, 15)),
    (_unresolved_manuka_honey, 38, time(21, 40)),
    (_declined_vacuum, 33, time(14, 5)),
    (_compensated_earbuds, 30, time(10, 20)),
    (_breached_infant_formula, 27, time(8, 50)),
    (_appealed_knife, 24, time(19, 30)),
    (_withdrawn_vitamins, 20, time(11, 0)),
    (_awaiting_mediator_charger, 16, time(3, 10)),  # Emma files from Europe: evening there
    (_in_mediation_casserole, 12, time(16, 25)),
    (_settled_sandals, 6, time(9, 45)),
    (_negotiating_dates, 5, time(20, 5)),
    (_filed_fineliners, 2, time(13, 35)),
]


async def seed_demo_cases(clock: Clock, calendar: Calendar) -> None:
    """File and play the demo cases against the demo accounts (found by email and USCC)."""
    cast = await _cast(clock)
    now = clock.now()
    for play, days_ago, at in STORIES:
        await play(Story(cast, now, days_ago, at, calendar))
