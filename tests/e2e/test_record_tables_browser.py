"""Record lists in the web chat, in headless Chromium: a logged-in demo consumer's clearance
records as a table (cards on a phone), a 详情 button per row, 更多 for the next page, the same
after a reload, and nothing inline that the page's policy blocks."""

from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from actions.records.demo import DEMO_CONSUMERS, small
from actions.records.models import Inventory
from actions.records.repository import PAGE_SIZE
from kernel.clock import CHINA_TZ
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR, csp_violations
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    phone = request.param is PHONE
    context = browser.new_context(
        locale="zh-CN", viewport=request.param, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def clearances_of_wang() -> list[str]:
    """王小明's inventory numbers, newest first, as the stack seeded them today."""
    rows = small(datetime.now(CHINA_TZ).date()).tables[Inventory]
    mine = [r for r in rows if r["consumer_id"] == DEMO_CONSUMERS[0].id]
    mine.sort(key=lambda r: r["pre_entry_no"])
    mine.sort(key=lambda r: r["stored_at"], reverse=True)
    return [r["inventory_no"] for r in mine]


def bot_lines(chat: FrameLocator):
    return chat.locator('.swa-msg[data-role="bot"]:not(.swa-typing)')


def no_horizontal_scroll(page: Page) -> None:
    """Neither the portal page nor the chat page in it scrolls sideways, nor the chat's log."""
    sideways = "e => e.scrollWidth - e.clientWidth"
    assert page.locator("html").evaluate(sideways) <= 0
    chat = page.frame_locator("#chat")
    assert chat.locator("html").evaluate(sideways) <= 0
    assert chat.locator(".swa-log").evaluate(sideways) <= 0


def test_a_consumer_reads_their_clearances_as_a_table(stack, page: Page) -> None:
    expected = clearances_of_wang()
    assert len(expected) > PAGE_SIZE, "the demo consumer has more than a page of records"
    phone = page.viewport_size == PHONE
    blocked = csp_violations(page)
    page.goto(f"{stack.service_url}/portal/demo")
    chat = page.frame_locator("#chat")
    expect(chat.locator(".swa-status")).to_have_text("在线")
    page.get_by_role("button", name="以王小明登录").click()
    expect(chat.locator(".swa-identity")).to_have_text("已登录：王小明")

    chat.locator("#swa-input").fill("自助查询")
    chat.locator("#swa-input").press("Enter")
    chat.locator(".swa-buttons button", has_text="我的通关记录").last.click()

    # The list as a table: a row per record, newest first, each with its own 详情 button.
    tables = chat.locator(".swa-records")
    expect(tables).to_have_count(1)
    first = tables.first
    rows = first.locator("tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(rows.locator("td:first-child")).to_have_text(expected[:PAGE_SIZE])
    expect(rows.get_by_role("button", name="详情")).to_have_count(PAGE_SIZE)
    total = len(expected)
    expect(first.locator(".swa-records-pager")).to_have_text(f"第 1-{PAGE_SIZE} 条，共 {total} 条")
    expect(first.locator(".swa-records-more button")).to_have_text("更多")
    # Not drawn twice: the row buttons and 更多 are not among the message's other buttons,
    # which are still there (按日期查询, 转人工); nor is the numbered text.
    others = bot_lines(chat).last.locator(".swa-buttons button")
    expect(others.filter(has_text="明细")).to_have_count(0)
    expect(others.filter(has_text="更多")).to_have_count(0)
    expect(others.filter(has_text="按日期查询")).to_have_count(1)
    expect(others.filter(has_text="转人工")).to_have_count(1)
    expect(bot_lines(chat).last).not_to_contain_text("1. 清单编号")
    # A table on the desktop, a card per record on the phone; nothing scrolls sideways.
    display = rows.first.evaluate("row => getComputedStyle(row).display")
    assert display == ("block" if phone else "table-row")
    no_horizontal_scroll(page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = "record-table-phone.png" if phone else "record-table-desktop.png"
    page.screenshot(path=str(SCREENSHOT_DIR / shot), full_page=True)

    # One row's 详情: that record's details, the click said as the text channels' button.
    rows.nth(1).get_by_role("button", name="详情").click()
    users = chat.locator('.swa-msg[data-role="user"] .swa-bubble')
    expect(users.last).to_have_text(f"清单 …{expected[1][-6:]} 明细")
    detail = bot_lines(chat).last
    expect(detail).to_contain_text(f"清单编号 {expected[1]}")
    expect(detail).to_contain_text("商品明细")

    # 更多: the next page, as a table of its own.
    first.locator(".swa-records-more button").click()
    expect(users.last).to_have_text("更多")
    expect(tables).to_have_count(2)
    second = tables.last.locator("tbody tr")
    shown = expected[PAGE_SIZE : 2 * PAGE_SIZE]
    expect(second.locator("td:first-child")).to_have_text(shown)
    last = PAGE_SIZE + len(shown)
    pager = f"第 {PAGE_SIZE + 1}-{last} 条" if len(shown) > 1 else f"第 {last} 条"
    expect(tables.last.locator(".swa-records-pager")).to_have_text(f"{pager}，共 {total} 条")
    no_horizontal_scroll(page)

    # A reload draws the tables again from the transcript.
    page.reload()
    expect(chat.locator(".swa-identity")).to_have_text("已登录：王小明")
    expect(tables).to_have_count(2)
    expect(tables.first.locator("tbody tr td:first-child")).to_have_text(expected[:PAGE_SIZE])
    expect(tables.first.get_by_role("button", name="详情")).to_have_count(PAGE_SIZE)
    expect(tables.last.locator("tbody tr td:first-child")).to_have_text(shown)
    assert blocked == []
