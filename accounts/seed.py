"""Demo people and enterprises (DESIGN §1), created through the same service functions as real ones."""

from __future__ import annotations

from accord.clock import Calendar, Clock
from accounts import service
from accounts.schemas import EnterpriseIn
from accounts.tables import Enterprise, Role, User

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
DEMO_USERS = [
    ("consumer@demo.test", "Li Wei", Role.consumer, "zh-Hans", None),
    ("merchant@demo.test", "Zhang Min", Role.merchant, "zh-Hans", "91330100716105852F"),
    ("mediator@demo.test", "Chen Jing", Role.mediator, "en", None),
    ("admin@demo.test", "Wang Fang", Role.admin, "en", None),
]


async def seed_demo_accounts(clock: Clock, calendar: Calendar) -> bool:
    """Create the demo enterprises and accounts unless the database already has users."""
    if await User.exists():
        return False
    await ensure_demo_accounts(clock)
    return True


async def ensure_demo_accounts(clock: Clock) -> None:
    """Add whichever demo enterprises and accounts are missing."""
    for enterprise in DEMO_ENTERPRISES:
        if not await Enterprise.exists().where(Enterprise.uscc == enterprise.uscc):
            await service.create_enterprise(enterprise, clock, verified=True)
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
