"""The demo portal in headless Chromium: log in as a demo user, the embedded chat knows them."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_webchat_browser import SCREENSHOT_DIR
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_log_in_on_the_portal_and_the_chat_knows_who_you_are(stack, page: Page) -> None:
    page.goto(f"{stack.service_url}/portal/demo")
    chat = page.frame_locator("#chat")
    expect(chat.locator(".swa-status")).to_have_text("在线")
    expect(chat.locator(".swa-identity")).to_be_hidden()
    expect(page.locator(".portal-accounts li")).to_have_count(4)

    page.get_by_role("button", name="以王小明登录").click()
    expect(page.locator("#user-name")).to_have_text("王小明")
    expect(chat.locator(".swa-identity")).to_have_text("已登录：王小明")

    # A channel account is bound with a code from here.
    page.get_by_role("button", name="获取绑定码").click()
    expect(page.locator("#code")).to_have_text(re.compile(r"^\d{8}$"))
    expect(page.locator("#code-expiry")).to_contain_text("10 分钟内有效")
    expect(page.locator("#telegram-link")).to_be_hidden()  # no Telegram bot on this stack
    code = page.locator("#code").inner_text()

    # The chat itself is web chat: it says so rather than spending the code.
    chat.locator("#swa-input").fill(f"绑定 {code}")
    chat.locator("#swa-input").press("Enter")
    expect(chat.locator('.swa-msg[data-role="system"] .swa-bubble').last).to_contain_text(
        "网页在线咨询无需绑定"
    )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "demo-portal.png"), full_page=True)

    # A reload keeps the login (this tab's session) and the chat gets it again.
    page.reload()
    expect(chat.locator(".swa-identity")).to_have_text("已登录：王小明")

    # Logging out: the chat forgets the user and starts a new conversation.
    page.get_by_role("button", name="退出登录").click()
    zhao = page.get_by_role("button", name="以赵建国（北京示例进出口有限公司）登录")
    expect(zhao).to_be_visible()
    expect(chat.locator(".swa-identity")).to_be_hidden()
    expect(chat.locator('.swa-msg[data-role="user"]')).to_have_count(0)
    zhao.click()
    expect(chat.locator(".swa-identity")).to_have_text("已登录：赵建国（北京示例进出口有限公司）")
