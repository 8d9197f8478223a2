"""Demo people and enterprises (DESIGN §1), created through the same service functions as real ones."""

from __future__ import annotations

from accord.clock import Calendar, Clock
from accounts import service
from accounts.schemas import EnterpriseIn
from accounts.tables import Enterprise, EnterpriseKind, PlatformMerchant, Role, User

DEMO_PASSWORD = "demo-password"
DEMO_ENTERPRISES = [
    EnterpriseIn(
        name="Hangzhou Westlake Cross-border Trading Co., Ltd.",
        uscc="91330100716105852F",
        country="CN",
        shop_urls=["https://westlake-global.example"],
    ),
    EnterpriseIn(
        name="Shenzhen Bay Electronics Import & Export Co., Ltd.",
        uscc="914403001922038216",
        country="CN",
        shop_urls=["https://shenzhenbay-electronics.example"],
    ),
    EnterpriseIn(
        name="Beijing Harbour Health Products Co., Ltd.",
        uscc="91110000600037341L",
        country="CN",
        shop_urls=["https://harbour-health.example"],
    ),
]
# The demo marketplace the demo merchants sell on (issue 17): it answers for their cases and may compensate
# consumers in advance.
DEMO_PLATFORM = EnterpriseIn(
    name="Westlake Global Marketplace",
    name_zh="西湖全球购",
    uscc="91330106MA2CFW0G3N",
    country="CN",
    shop_urls=["https://westlake-marketplace.example"],
)
DEMO_USERS = [
    ("consumer@demo.test", "Li Wei", Role.consumer, "zh-Hans", None),
    ("merchant@demo.test", "Zhang Min", Role.merchant, "zh-Hans", "91330100716105852F"),
    ("mediator@demo.test", "Chen Jing", Role.mediator, "en", None),
    ("admin@demo.test", "Wang Fang", Role.admin, "en", None),
    ("platform@demo.test", "Sun Li", Role.merchant, "zh-Hans", DEMO_PLATFORM.uscc),
]


async def seed_demo_accounts(clock: Clock, calendar: Calendar) -> bool:
    """Create the demo enterprises and accounts unless the database already has users."""
    if await User.exists():
        return False
    await ensure_demo_accounts(clock)
    return True


async def ensure_demo_accounts(clock: Clock) -> None:
    """Add whichever demo enterprises and accounts are missing, and link the demo merchants to the platform."""
    for enterprise in (*DEMO_ENTERPRISES, DEMO_PLATFORM):
        if not await Enterprise.exists().where(Enterprise.uscc == enterprise.uscc):
            await service.create_enterprise(enterprise, clock, verified=True)
    await Enterprise.update({Enterprise.kind: EnterpriseKind.platform}).where(Enterprise.uscc == DEMO_PLATFORM.uscc)
    await _link_demo_merchants(clock)
    for email, name, role, language, uscc in DEMO_USERS:
        if not await User.exists().where(User.email == email):
            await service.create_user(
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                language=language,
                enterprise_uscc=uscc,
                clock=clock,
            )


async def _link_demo_merchants(clock: Clock) -> None:
    platform = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == DEMO_PLATFORM.uscc).first()
    merchants = await Enterprise.select(Enterprise.id).where(
        Enterprise.uscc.is_in([enterprise.uscc for enterprise in DEMO_ENTERPRISES])
    )
    for merchant in merchants:
        pair = (PlatformMerchant.platform == platform["id"], PlatformMerchant.merchant == merchant["id"])
        if not await PlatformMerchant.exists().where(*pair):
            await PlatformMerchant.insert(
                PlatformMerchant(platform=platform["id"], merchant=merchant["id"], linked_at=clock.now())
            )
