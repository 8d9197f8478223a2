"""A consumer registers in Chinese (the enterprise fields show only while "merchant" is chosen), lands on
the filing form, signs out and signs in again to their cases, in a real browser."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from accounts.tables import User
from tests.conftest import PASSWORD, unique_email
from tests.servers import ARTIFACTS


async def test_register_in_chinese_log_out_log_in(live_server: str, browser: Browser) -> None:
    context = await browser.new_context(locale="zh-CN", base_url=live_server)
    page = await context.new_page()
    email = unique_email("e2e")

    await page.goto("/register")
    await expect(page.locator("h1")).to_have_text("创建您的账户")
    enterprise = page.locator("#merchant-only")  # the enterprise fields concern merchant agents only
    await expect(enterprise).to_be_hidden()
    await page.locator('input[name="role"][value="merchant"]').check()
    await expect(enterprise).to_be_visible()
    await page.locator('input[name="role"][value="consumer"]').check()
    await expect(enterprise).to_be_hidden()
    await page.get_by_label("电子邮箱").fill(email)
    await page.get_by_label("您的名称").fill("李雷")
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_label("我同意按上述方式处理我的个人信息。").check()
    await page.get_by_role("button", name="创建账户").click()

    await expect(page).to_have_url(f"{live_server}/cases/new?welcome=1")  # a new consumer came to complain
    await expect(page.get_by_text("欢迎！您的账户已创建。请告诉我们您的购物遇到了什么问题。")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "e2e-register-zh.png"), full_page=True)
    stored = await User.select(User.language, User.role).where(User.email == email).first()
    assert stored == {"language": "zh-Hans", "role": "consumer"}

    await page.get_by_role("button", name="退出登录").click()
    await expect(page).to_have_url(f"{live_server}/")
    header = page.get_by_role("navigation", name="主导航")
    await expect(header.get_by_role("link", name="登录")).to_be_visible()

    await header.get_by_role("link", name="登录").click()
    await page.get_by_label("电子邮箱").fill(email)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{live_server}/cases")  # where a consumer's work is
    await expect(header.get_by_role("link", name="李雷")).to_be_visible()
    await expect(header.get_by_role("button", name="退出登录")).to_be_visible()
    await context.close()
