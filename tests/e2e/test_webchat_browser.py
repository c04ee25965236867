"""The web chat page in headless Chromium: a person's view of the whole stack."""

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Kept after the run so a person can look at what the test saw.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("SWA_CHROMIUM") or shutil.which("chromium")
    assert executable, "Chromium is missing: `make test` installs it (stack/ensure-chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def bot_messages(page: Page):
    return page.locator('.swa-msg[data-role="bot"]:not(.swa-typing)')


def csp_violations(page: Page) -> list[str]:
    """What the page's Content-Security-Policy blocked, as Chromium reports it."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


def test_chat_buttons_history_and_reconnect(stack, page: Page) -> None:
    blocked = csp_violations(page)
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(stack.service_url)
    expect(page.locator(".swa-status")).to_have_text("在线")
    # First contact: the bot greets with the categories of hot questions as buttons.
    expect(bot_messages(page)).to_have_count(1)
    expect(bot_messages(page).first).to_contain_text("单一窗口智能客服")
    expect(page.locator(".swa-buttons button", has_text="登录与卡介质")).to_have_count(1)

    # A button shows its title as the user's message and gets the answer to its payload.
    page.locator(".swa-buttons button", has_text="登录与卡介质").click()
    expect(page.locator('.swa-msg[data-role="user"] .swa-bubble').last).to_have_text("登录与卡介质")
    expect(bot_messages(page)).to_have_count(2)
    expect(bot_messages(page).last).to_contain_text("热点问题")
    button = bot_messages(page).last.locator(".swa-buttons button").first
    title = button.inner_text()
    button.click()
    expect(page.locator('.swa-msg[data-role="user"] .swa-bubble').last).to_have_text(title)
    expect(bot_messages(page)).to_have_count(3)
    handoff = bot_messages(page).last.locator(".swa-buttons button").last
    expect(handoff).to_have_text("没解决？转人工")

    # Reload: the same conversation comes back from the server, without a second greeting.
    page.reload()
    expect(page.locator(".swa-status")).to_have_text("在线")
    users = page.locator('.swa-msg[data-role="user"] .swa-bubble')
    expect(users).to_have_text(["登录与卡介质", title])
    expect(bot_messages(page)).to_have_count(3)

    # The service restarts: the page notices, reconnects by itself and the chat goes on.
    stack.stop_service()
    expect(page.locator(".swa-status")).to_have_attribute("data-state", "offline")
    stack.start_service()
    expect(page.locator(".swa-status")).to_have_text("在线", timeout=30_000)
    answered = bot_messages(page).count()
    page.fill("#swa-input", "谢谢")
    page.locator(".swa-send").click()
    expect(page.locator('.swa-msg[data-role="user"] .swa-bubble')).to_have_text(
        ["登录与卡介质", title, "谢谢"]
    )
    expect(bot_messages(page)).to_have_count(answered + 1)
    expect(page.locator(".swa-typing")).to_have_count(0)

    # The conversation's secret stayed in the page: every socket URL is the bare path.
    secret = page.evaluate("localStorage.getItem('swa.webchat.secret')")
    assert len(secret) == 43
    assert len(sockets) >= 3 and set(sockets) == {stack.ws_url}
    assert page.evaluate("localStorage.getItem('swa.webchat.conversation')") is None
    assert blocked == []  # the page works under its policy: nothing inline, nothing foreign
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "webchat.png"), full_page=True)


def test_an_answer_asks_whether_it_helped_once(stack, page: Page) -> None:
    """有用 / 没用 under an FAQ answer: one verdict per answer, the bot's reply to each."""
    page.goto(stack.service_url)
    expect(bot_messages(page)).to_have_count(1)
    page.fill("#swa-input", "法人卡密码忘了怎么办")
    page.locator(".swa-send").click()
    expect(bot_messages(page)).to_have_count(2)
    answer = bot_messages(page).last
    expect(answer.locator(".swa-bubble")).to_contain_text("【")
    row = answer.locator(".swa-feedback")
    expect(row).to_contain_text("这个回答对您有帮助吗？")
    expect(row.locator("button")).to_have_text(["有用", "没用"])
    # Not among the answer's own buttons: the way to a human stays the last of those.
    expect(answer.locator(".swa-buttons button").last).to_have_text("没解决？转人工")
    expect(answer.locator(".swa-buttons button", has_text="有用")).to_have_count(0)

    row.locator("button", has_text="没用").click()
    for verdict in ("有用", "没用"):
        expect(row.locator("button", has_text=verdict)).to_be_disabled()
    expect(row.locator('button[aria-pressed="true"]')).to_have_text("没用")
    expect(page.locator('.swa-msg[data-role="user"] .swa-bubble').last).to_have_text("没用")
    expect(bot_messages(page)).to_have_count(3)
    sorry = bot_messages(page).last
    expect(sorry).to_contain_text("抱歉这个回答没能帮到您")
    expect(sorry.locator(".swa-buttons button")).to_have_text(["常见问题", "没解决？转人工"])
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "webchat-feedback.png"), full_page=True)


def test_links_and_line_breaks_render_safely(stack, page: Page) -> None:
    page.goto(stack.service_url)
    expect(page.locator(".swa-status")).to_have_text("在线")
    page.evaluate(
        """() => {
          const li = document.createElement('li');
          li.id = 'probe';
          document.querySelector('.swa-log').appendChild(li);
        }"""
    )
    # Hostile text from the bot must never become markup.
    page.fill("#swa-input", "<img src=x onerror=alert(1)>")
    page.keyboard.press("Enter")
    expect(page.locator('.swa-msg[data-role="user"] .swa-bubble').last).to_have_text(
        "<img src=x onerror=alert(1)>"
    )
    assert page.locator(".swa-bubble img").count() == 0


def test_a_message_refused_as_too_fast_is_kept_and_sent_again(stack, page: Page) -> None:
    # A service that takes one message at once, then one every two seconds.
    paced = {"SWA_WEBCHAT_MESSAGE_BURST": "2", "SWA_WEBCHAT_MESSAGES_PER_S": "0.5"}
    with stack.extra_service("paced-service", **paced) as url:
        page.goto(url)
        expect(bot_messages(page)).to_have_count(1)  # the greeting used one
        for text in ("第一条", "第二条", "第三条"):
            page.fill("#swa-input", text)
            page.keyboard.press("Enter")
        users = page.locator('.swa-msg[data-role="user"] .swa-bubble')
        expect(users).to_have_text(["第一条", "第二条", "第三条"])
        notice = page.locator('.swa-msg[data-role="system"] .swa-bubble')
        expect(notice).to_have_text(["您发送得太快了，请稍候再试。"])
        # Nothing is lost: the refused lines go again, in order, and the reload shows them.
        expect(page.locator(".swa-pending")).to_have_count(0, timeout=15_000)
        page.reload()
        expect(users).to_have_text(["第一条", "第二条", "第三条"])


def test_a_message_whose_answer_was_lost_is_sent_again_and_shown_once(stack, page: Page) -> None:
    """The socket drops after the service took a message and before its answer arrived: the
    page sends it again on the new socket, with the same id, and the service answers it once."""
    dropped: list[str] = []

    def relay(route) -> None:
        server = route.connect_to_server()

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "messages" and "reply_to" in frame and not dropped:
                dropped.append(message)
                route.close()  # the answer is lost with the socket
                return
            route.send(message)

        server.on_message(from_server)

    page.route_web_socket(re.compile(r".*/channels/webchat/ws$"), relay)
    page.goto(stack.service_url)
    expect(bot_messages(page)).to_have_count(1)  # the greeting
    page.fill("#swa-input", "卡介质初始密码是多少")
    page.locator(".swa-send").click()
    expect(bot_messages(page)).to_have_count(2)
    expect(bot_messages(page).last).to_contain_text("密码")
    assert dropped, "the first answer was not dropped"
    expect(page.locator('.swa-msg[data-role="user"]')).to_have_count(1)
    page.wait_for_timeout(1000)  # nothing more arrives: one answer, one question
    expect(bot_messages(page)).to_have_count(2)
    page.reload()
    expect(bot_messages(page)).to_have_count(2)
    expect(page.locator('.swa-msg[data-role="user"]')).to_have_count(1)
