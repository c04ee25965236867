"""The agent console in headless Chromium: an agent serves a web chat user from start to end.

Browser contexts share the real stack: agents' and supervisors' consoles (/console) and users'
web chats (/). The user talks to the bot, asks for a person, is given to the online agent
automatically, chats with them, and rates the chat once the agent closes it. Around that: canned
responses, transfers, transcript search and the supervisor's live view.

The stack lives for the whole session (Redis database 1), so each test makes its own accounts,
uses unique texts, closes its chats and logs out; skills are chosen so that no test leaves a
user waiting where another test counts them.
"""

import json
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import ClientConnection

from actions.handoff import ASK_SKILL_TEXT
from kernel.clock import CHINA_TZ
from queue_service.console.texts import BAD_LOGIN, FULL, NOT_LOGGED_IN
from queue_service.handoff.texts import (
    CONNECTED_TEXT,
    HANDED_OVER_TEXT,
    NO_AGENT_TEXT,
    RATE_TEXT,
    RATED_TEXT,
    TAKEN_OVER_TEXT,
)
from stack.paths import ROOT
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR, bot_messages
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared
from tests.support.webchat import connect_chat_sync

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "console-e2e-secret"
AGENT_NAME = "客服小测"
SUPERVISOR_NAME = "值班班长"
TITLE = "单一窗口客服工作台"
# The conversation id the chat page shows on its root element (not a credential).
CONVERSATION_ID = "document.documentElement.dataset.conversation"
# The live view polls every 5 s; changes that no websocket event announces show within this.
LIVE_TIMEOUT_MS = 15_000


def create_agent(stack, *options: str, name: str = AGENT_NAME) -> str:
    """A fresh agent serving every skill, made with the management command as an admin would."""
    username = f"e2e-console-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "queue_service.agents", "create", username]
    result = subprocess.run(
        [*command, "--name", name, *options],
        input=PASSWORD + "\n",
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return username


@contextmanager
def console_page(stack, browser: Browser, width: int = 1280, height: int = 800) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[Exception] = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    # Logging out sets the agent offline, so later tests do not find an agent at work.
    page.request.post(f"{stack.service_url}/console/api/logout")
    context.close()
    assert not errors, f"script errors in the console: {errors}"


@contextmanager
def user_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def console(stack, browser: Browser) -> Iterator[Page]:
    with console_page(stack, browser) as page:
        yield page


@pytest.fixture
def second_console(stack, browser: Browser) -> Iterator[Page]:
    """Another member of staff's console, in a browser context of its own."""
    with console_page(stack, browser) as page:
        yield page


@pytest.fixture
def user(browser: Browser) -> Iterator[Page]:
    with user_page(browser) as page:
        yield page


def log_in(page: Page, stack, username: str, password: str) -> None:
    page.goto(f"{stack.service_url}/console")
    page.fill("#swa-login-username", username)
    page.fill("#swa-login-password", password)
    page.locator(".swa-login-submit").click()


def say(page: Page, text: str) -> None:
    page.fill("#swa-input", text)
    page.keyboard.press("Enter")


def click(page: Page, title: str) -> None:
    """The newest button with exactly this title (older messages keep theirs)."""
    page.get_by_role("button", name=title, exact=True).last.click()


def ask_for_an_agent(page: Page, stack, skill_title: str) -> str:
    """A new web chat user asks for a person about a topic; their conversation id."""
    page.goto(stack.service_url)
    expect(bot_messages(page)).to_have_count(1)
    say(page, "转人工")
    expect(bot_messages(page).last).to_contain_text(ASK_SKILL_TEXT)
    click(page, skill_title)
    return "webchat:" + page.evaluate(CONVERSATION_ID)


def go_online(console: Page) -> None:
    expect(console.locator(".swa-conn")).to_have_attribute("data-state", "online")
    with console.expect_response("**/console/api/status") as status_change:
        console.select_option("#swa-status", label="在线")
    assert status_change.value.ok


def close_chat(pane) -> None:
    pane.locator(".swa-disposition").select_option(label="已解决")
    pane.locator(".swa-close-chat").click()


def next_frame(ws: ClientConnection, wanted, timeout_s: float = 30) -> dict:
    """The next frame the web chat server sends that `wanted` accepts; others are skipped."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(ws.recv(timeout=left))
        if wanted(frame):
            return frame
    raise TimeoutError("no such frame")


def said_by(role: str):
    return lambda frame: any(m["role"] == role for m in frame.get("messages", []))


def chat_of(stack, conversation_id: str) -> tuple[str, str, int | None]:
    path = stack.env["SWA_DATABASE_URL"].split("///", 1)[1]
    with closing(sqlite3.connect(path)) as db:
        return db.execute(
            "SELECT agent, disposition, csat FROM chats WHERE conversation_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()


def chat_pane(console: Page, conversation_id: str):
    return console.locator(f'.swa-chat[data-conversation-id="{conversation_id}"]')


def agent_bubbles(user: Page):
    return user.locator('.swa-msg[data-role="agent"] .swa-bubble')


def test_agent_serves_a_web_chat_user_from_handoff_to_rating(stack, console: Page, user: Page):
    username = create_agent(stack)
    log_in(console, stack, username, PASSWORD)
    expect(console.locator(".swa-me-name")).to_have_text(AGENT_NAME)
    expect(console.locator(".swa-empty")).to_be_visible()
    go_online(console)
    expect(console.locator("#swa-status")).to_have_attribute("data-status", "online")
    expect(console.locator(".swa-load-value")).to_have_text("0 / 3")

    # The user asks the bot first, then for a person: the topic read last picks the skill.
    user.goto(stack.service_url)
    expect(user.locator(".swa-status")).to_have_text("在线")
    expect(bot_messages(user)).to_have_count(1)
    say(user, "法人卡被锁了怎么解锁")
    expect(bot_messages(user)).to_have_count(2)
    expect(bot_messages(user).last).to_contain_text("解锁")
    say(user, "转人工")
    agent_bubbles = user.locator('.swa-msg[data-role="agent"] .swa-bubble')
    skill_button = user.locator(".swa-buttons button", has_text="账号与卡介质")
    expect(agent_bubbles.or_(skill_button).first).to_be_visible()
    if not agent_bubbles.count():  # the bot asked which kind of agent: answer with a button
        skill_button.last.click()
    # Assigned automatically to the only agent online: the agent greets by name.
    expect(agent_bubbles.first).to_have_text(CONNECTED_TEXT.format(name=AGENT_NAME))
    conversation_id = "webchat:" + user.evaluate(CONVERSATION_ID)
    # The header names who serves the user, and offers to end it.
    expect(user.locator(".swa-status")).to_have_text(f"{AGENT_NAME}为您服务")
    expect(user.locator(".swa-end-chat")).to_be_visible()

    # The console opens the chat by itself, with what the user said to the bot before.
    tab = console.locator(f'.swa-chat-tab[data-conversation-id="{conversation_id}"]')
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_contain_text("网页")
    expect(tab).to_contain_text("账号与卡介质")
    pane = console.locator(f'.swa-chat[data-conversation-id="{conversation_id}"]')
    expect(pane).to_be_visible()
    lines = pane.locator(".swa-line")
    user_lines = pane.locator('.swa-line[data-role="user"] .swa-line-text')
    expect(user_lines.first).to_have_text("法人卡被锁了怎么解锁")
    bot_lines = pane.locator('.swa-line[data-role="bot"]')
    expect(bot_lines.first).to_contain_text("单一窗口智能客服")  # the greeting
    expect(bot_lines.nth(1)).to_contain_text("解锁")  # the FAQ answer
    greeting = pane.locator('.swa-line[data-role="agent"]').first
    expect(greeting.locator(".swa-line-who")).to_have_text(AGENT_NAME)
    expect(console.locator(".swa-load-value")).to_have_text("1 / 3")
    assert chat_of(stack, conversation_id)[0] == username

    # Shift+Enter breaks the line, Enter sends; the user sees the agent's words.
    composer = pane.locator(".swa-reply-input")
    composer.click()
    composer.press_sequentially("您好，请问您的法人卡")
    composer.press("Shift+Enter")
    composer.press_sequentially("是在哪个地区办理的？")
    expect(composer).to_have_value("您好，请问您的法人卡\n是在哪个地区办理的？")
    composer.press("Enter")
    expect(composer).to_have_value("")
    expect(agent_bubbles.last).to_contain_text("是在哪个地区办理的？")
    expect(agent_bubbles.last).to_contain_text("您好，请问您的法人卡")
    expect(pane.locator('.swa-line[data-role="agent"]')).to_have_count(2)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console.png"))
    # The same chat on a desktop browser's full page, as the user sees it.
    user.set_viewport_size({"width": 1280, "height": 800})
    user.screenshot(path=str(SCREENSHOT_DIR / "webchat-desktop-agent.png"))
    user.set_viewport_size({"width": 420, "height": 760})

    # With another tab in front, the user's answer shows as unread, in the tab and the title.
    console.keyboard.press("Alt+0")
    expect(console.locator(".swa-tickets")).to_be_visible()
    expect(pane).to_be_hidden()
    hostile = "<img src=x onerror=alert(1)>"
    say(user, f"北京办理的 {hostile}")
    expect(tab.locator(".swa-unread")).to_have_text("1")
    expect(console).to_have_title(f"(1) {TITLE}")
    console.keyboard.press("Alt+1")
    expect(pane).to_be_visible()
    expect(tab.locator(".swa-unread")).to_be_hidden()
    expect(console).to_have_title(TITLE)
    expect(user_lines.last).to_have_text(f"北京办理的 {hostile}")
    # The line came once however it arrived, and the user's text never became markup.
    expect(lines.filter(has_text="北京办理的")).to_have_count(1)
    assert pane.locator(".swa-line img").count() == 0

    # The agent closes with a disposition; the user is asked to rate the chat.
    pane.locator(".swa-disposition").select_option(label="已解决")
    pane.locator(".swa-close-chat").click()
    expect(tab).to_have_count(0)
    expect(console.locator(".swa-empty")).to_be_visible()
    expect(console.locator(".swa-load-value")).to_have_text("0 / 3")

    rating = user.locator('.swa-msg[data-role="system"]', has_text=RATE_TEXT)
    expect(rating.locator(".swa-buttons button")).to_have_text(
        ["5 非常满意", "4 满意", "3 一般", "2 不满意", "1 非常不满意"]
    )
    expect(user.locator(".swa-status")).to_have_text("在线")
    expect(user.locator(".swa-end-chat")).to_be_hidden()
    rating.locator(".swa-buttons button", has_text="5 非常满意").click()
    expect(user.locator('.swa-msg[data-role="system"] .swa-bubble').last).to_have_text(RATED_TEXT)
    assert chat_of(stack, conversation_id) == (username, "resolved", 5)


def test_on_a_phone_the_user_is_connected_and_ends_the_human_chat_themself(
    stack, browser: Browser, console: Page
):
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    go_online(console)
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.set_default_timeout(30_000)
        conversation_id = ask_for_an_agent(phone, stack, "其他")
        # A free agent: the user is being connected, not told of a wait.
        system = phone.locator('.swa-msg[data-role="system"] .swa-bubble')
        expect(system.last).to_have_text("正在为您接通其他人工客服，请稍候。")
        expect(agent_bubbles(phone).first).to_have_text(CONNECTED_TEXT.format(name=AGENT_NAME))
        # No card reader on a phone; touch targets of 44 px; an input that grows.
        expect(phone.locator(".swa-card-button")).to_be_hidden()
        end = phone.locator(".swa-end-chat")
        expect(end).to_be_visible()
        heights = phone.locator(".swa-buttons button, .swa-send, .swa-end-chat").evaluate_all(
            "items => items.map(b => b.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, heights
        box = phone.locator("#swa-input")
        one_line = box.bounding_box()["height"]
        box.fill("我想咨询一下，" * 12)
        box.dispatch_event("input")
        assert box.bounding_box()["height"] > one_line * 1.5
        box.fill("")
        assert phone.request.get(f"{stack.service_url}/favicon.ico").ok
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SCREENSHOT_DIR / "webchat-phone-agent.png"))

        end.click()
        expect(system.last).to_have_text(RATE_TEXT)
        expect(end).to_be_hidden()
        expect(phone.locator(".swa-status")).to_have_text("在线")
        pane = chat_pane(console, conversation_id)
        expect(pane.locator(".swa-chat-ended")).to_have_text("用户已结束会话")
        assert chat_of(stack, conversation_id)[:2] == (agent, "user_ended")
        phone.locator(".swa-buttons button", has_text="4 满意").last.click()
        expect(system.last).to_have_text(RATED_TEXT)
        pane.locator(".swa-dismiss").click()
        expect(pane).to_have_count(0)
    finally:
        context.close()


def test_wrong_password_expired_session_and_logout_show_the_login(stack, console: Page):
    username = create_agent(stack)
    log_in(console, stack, username, "not-the-password")
    expect(console.locator(".swa-login-error")).to_have_text(BAD_LOGIN)
    expect(console.locator(".swa-app")).to_be_hidden()

    console.fill("#swa-login-password", PASSWORD)
    console.keyboard.press("Enter")
    expect(console.locator(".swa-me-name")).to_have_text(AGENT_NAME)
    expect(console.locator(".swa-login")).to_be_hidden()
    # The session is a cookie: a reload stays logged in.
    console.reload()
    expect(console.locator(".swa-me-name")).to_have_text(AGENT_NAME)
    expect(console.locator(".swa-conn")).to_have_attribute("data-state", "online")

    # Without its session the console asks for the login again at its next request.
    console.context.clear_cookies()
    console.locator(".swa-queue-refresh").click()
    expect(console.locator(".swa-login-error")).to_have_text(NOT_LOGGED_IN)
    expect(console.locator(".swa-app")).to_be_hidden()
    expect(console.locator("#swa-login-username")).to_have_value(username)
    console.fill("#swa-login-password", PASSWORD)
    console.keyboard.press("Enter")
    expect(console.locator(".swa-me-name")).to_have_text(AGENT_NAME)

    console.locator(".swa-logout").click()
    expect(console.locator(".swa-login")).to_be_visible()
    expect(console.locator(".swa-login-error")).to_be_hidden()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-login.png"))
    response = console.request.get(f"{stack.service_url}/console/api/me")
    assert response.status == 401


def test_waiting_list_ticks_refuses_a_claim_when_full_and_assigns_when_free(
    stack, browser: Browser, console: Page, user: Page
):
    username = create_agent(stack, "--capacity", "1")
    log_in(console, stack, username, PASSWORD)
    go_online(console)
    first = ask_for_an_agent(user, stack, "其他")
    first_tab = console.locator(f'.swa-chat-tab[data-conversation-id="{first}"]')
    expect(first_tab).to_have_attribute("aria-selected", "true")
    expect(console.locator(".swa-load-value")).to_have_text("1 / 1")

    # The agent is full: a second user waits, and shows in the waiting list.
    context = browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 760})
    try:
        second_user = context.new_page()
        second_user.set_default_timeout(30_000)
        second = ask_for_an_agent(second_user, stack, "其他")
        expect(second_user.locator('.swa-msg[data-role="system"]').last).to_contain_text(
            "您前面还有 0 位用户"
        )
        waiting = console.locator(f'.swa-waiting[data-conversation-id="{second}"]')
        expect(waiting).to_have_attribute("data-skill", "other")
        expect(waiting.locator(".swa-channel")).to_have_text("网页")
        expect(waiting.locator(".swa-preview")).to_contain_text("其他")
        wait = waiting.locator(".swa-wait")
        expect(wait).to_have_text(re.compile(r"^\d\d:\d\d$"))
        expect(wait).not_to_have_text("00:00")  # counted on in the page, second by second
        expect(console.locator(".swa-queue-total")).not_to_have_text("0")

        # Claiming while full is refused, with the reason.
        waiting.locator(".swa-claim").click()
        expect(console.locator(".swa-notice")).to_have_text(FULL.format(load=1, capacity=1))
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        console.screenshot(path=str(SCREENSHOT_DIR / "console-queue.png"))

        # Closing the first chat frees the agent: the waiting user is theirs automatically.
        close_chat(console.locator(f'.swa-chat[data-conversation-id="{first}"]'))
        expect(first_tab).to_have_count(0)
        second_tab = console.locator(f'.swa-chat-tab[data-conversation-id="{second}"]')
        expect(second_tab).to_have_attribute("aria-selected", "true")
        expect(waiting).to_have_count(0)
        expect(second_user.locator('.swa-msg[data-role="agent"]')).to_have_count(1)
        close_chat(console.locator(f'.swa-chat[data-conversation-id="{second}"]'))
        expect(second_tab).to_have_count(0)
        rating = second_user.locator('.swa-msg[data-role="system"]', has_text=RATE_TEXT)
        expect(rating).to_have_count(1)
    finally:
        context.close()


def test_a_ticket_is_taken_answered_and_closed_and_the_user_reads_each_step(
    stack, console: Page, user: Page
):
    # Nobody is online: the user leaves a message for the help desk.
    text = f"提交报关单一直失败 {uuid.uuid4().hex[:6]}"
    ask_for_an_agent(user, stack, "通关/货物申报")
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text(NO_AGENT_TEXT)
    click(user, "留言")
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text("请简要描述")
    say(user, text)
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text("联系方式")
    say(user, "e2e-ticket@example.com")
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text("留言已提交")

    username = create_agent(stack)
    log_in(console, stack, username, PASSWORD)
    expect(console.locator(".swa-ticket-count")).not_to_have_text("0")
    console.locator(".swa-tab-tickets").click()
    ticket = console.locator(".swa-ticket", has_text=text)
    expect(ticket.locator(".swa-ticket-status")).to_have_text("待处理")
    expect(ticket.locator(".swa-ticket-skill")).to_have_text("通关/货物申报")
    expect(ticket.locator(".swa-ticket-contact-value")).to_have_text("e2e-ticket@example.com")
    expect(ticket.locator(".swa-ticket-time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    )
    number = ticket.get_attribute("data-ticket-id")

    # Opened: the conversation behind it, bot part included; taken, the user hears it.
    ticket.locator(".swa-ticket-more > summary").click()
    history = ticket.locator(".swa-ticket-lines")
    expect(history.locator('.swa-line[data-role="user"]', has_text=text)).to_have_count(1)
    expect(history.locator('.swa-line[data-role="bot"]').first).to_be_visible()
    ticket.locator(".swa-ticket-take").click()
    taken = console.locator(".swa-ticket", has_text=text)
    expect(taken.locator(".swa-ticket-status")).to_have_text("处理中")
    expect(taken.locator(".swa-ticket-assignee")).to_have_text(username)
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text(
        f"您的留言（编号 {number}）已由"
    )

    # Answered from the console: the user reads it in the chat, from the agent, live.
    taken.locator(".swa-ticket-more > summary").click()
    answer = f"您好，请检查报关单的申报地海关代码 {uuid.uuid4().hex[:4]}"
    taken.locator('.swa-ticket-form[data-action="reply"] textarea').fill(answer)
    taken.locator(".swa-ticket-reply").click()
    expect(console.locator(".swa-notice")).to_have_text("回复已发送给用户。")
    expect(agent_bubbles(user).last).to_contain_text(answer)
    expect(agent_bubbles(user).last).to_contain_text(f"编号 {number}")
    expect(agent_bubbles(user).last).to_contain_text("当前状态：已回复")
    # An answer to a message left is no chat: the header names no serving agent.
    expect(user.locator(".swa-status")).to_have_text("在线")
    replied = console.locator(".swa-ticket", has_text=text)
    expect(replied.locator(".swa-ticket-status")).to_have_text("已回复")

    # Closing needs a note (for the help desk only); the user is told it is closed.
    replied.locator(".swa-ticket-more > summary").click()
    replied.locator(".swa-ticket-close").click()
    expect(console.locator(".swa-notice")).to_have_text("请填写关闭备注。")
    replied.locator('.swa-ticket-form[data-action="close"] textarea').fill("已邮件回复用户")
    replied.locator(".swa-ticket-close").click()
    expect(user.locator('.swa-msg[data-role="system"]').last).to_contain_text("当前状态：已关闭")
    expect(user.locator(".swa-msg", has_text="已邮件回复用户")).to_have_count(0)
    console.select_option("#swa-ticket-state", "closed")
    closed = console.locator('.swa-ticket[data-status="closed"]', has_text=text)
    expect(closed.locator(".swa-ticket-result")).to_contain_text(username)
    expect(closed.locator(".swa-ticket-result")).to_contain_text("已邮件回复用户")
    # Searched by skill: another skill's list does not have it, its own does.
    console.select_option("#swa-ticket-skill", label="跨境电商")
    expect(closed).to_have_count(0)
    console.select_option("#swa-ticket-skill", label="通关/货物申报")
    expect(closed).to_have_count(1)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    closed.locator(".swa-ticket-more > summary").click()
    expect(closed.locator(".swa-ticket-reply")).to_contain_text(answer)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-ticket.png"))

    # The user's page, reloaded, still shows the answer.
    user.reload()
    expect(agent_bubbles(user).filter(has_text=answer)).to_have_count(1)


def test_typing_shows_both_ways_and_the_console_reconnects(stack, console: Page):
    username = create_agent(stack)
    log_in(console, stack, username, PASSWORD)
    go_online(console)
    with connect_chat_sync(stack.ws_url) as ws:
        session = json.loads(ws.recv(timeout=30))
        conversation_id = f"webchat:{session['conversation_id']}"
        ws.send(json.dumps({"type": "message", "text": "转人工"}))
        [ask] = next_frame(ws, said_by("bot"))["messages"]
        [other] = [b for b in ask["buttons"] if b["title"] == "其他"]
        ws.send(
            json.dumps({"type": "message", "text": other["title"], "payload": other["payload"]})
        )
        next_frame(ws, said_by("agent"))
        pane = console.locator(f'.swa-chat[data-conversation-id="{conversation_id}"]')
        expect(pane).to_be_visible()

        # The user types: the agent sees it until the user's line arrives.
        typing = pane.locator(".swa-typing")
        ws.send(json.dumps({"type": "typing", "on": True}))
        expect(typing).to_have_text("用户正在输入…")
        ws.send(json.dumps({"type": "message", "text": "请问怎么处理"}))
        user_lines = pane.locator('.swa-line[data-role="user"] .swa-line-text')
        expect(user_lines.last).to_have_text("请问怎么处理")
        expect(typing).to_be_hidden()

        # The agent types: the user is told, and told again once the agent stops typing.
        pane.locator(".swa-reply-input").press_sequentially("正在为您查询")
        assert next_frame(ws, lambda f: f["type"] == "typing")["on"] is True
        assert next_frame(ws, lambda f: f["type"] == "typing", timeout_s=10)["on"] is False

    # The service restarts: the console shows it, reconnects by itself, and the chat goes on.
    stack.stop_service()
    expect(console.locator(".swa-conn")).to_have_attribute("data-state", "offline")
    stack.start_service()
    expect(console.locator(".swa-conn")).to_have_attribute("data-state", "online")
    pane.locator(".swa-reply-input").press("Enter")
    expect(pane.locator('.swa-line[data-role="agent"] .swa-line-text').last).to_have_text(
        "正在为您查询"
    )
    with connect_chat_sync(stack.ws_url, session["secret"]) as ws:
        history = json.loads(ws.recv(timeout=30))["history"]
    assert history[-1]["role"] == "agent" and history[-1]["text"] == "正在为您查询"
    close_chat(pane)
    expect(pane).to_have_count(0)


def test_a_canned_response_added_by_a_supervisor_is_sent_by_its_shortcut(
    stack, console: Page, second_console: Page, user: Page
):
    # The agent is at work with a user before the supervisor adds the entry.
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    go_online(console)
    conversation_id = ask_for_an_agent(user, stack, "其他")
    pane = chat_pane(console, conversation_id)
    expect(pane).to_be_visible()

    supervisor = create_agent(stack, "--role", "supervisor", name=SUPERVISOR_NAME)
    log_in(second_console, stack, supervisor, PASSWORD)
    second_console.locator(".swa-tab-canned").click()
    second_console.locator(".swa-canned-add").click()
    tag = uuid.uuid4().hex[:6]
    shortcut = f"/e2e-{tag}"
    # With variables: the user's name (empty: this user is anonymous), the agent's, the date.
    text = f"您好{{name}}，我是{{agent}}。单一窗口客服热线为 95198，今天是{{date}}。（{tag}）"
    today = datetime.now(CHINA_TZ).date()
    filled = (
        f"您好，我是{AGENT_NAME}。单一窗口客服热线为 95198，"
        f"今天是{today.year}年{today.month}月{today.day}日。（{tag}）"
    )
    form = second_console.locator(".swa-canned-form")
    form.locator(".swa-canned-shortcut").fill(shortcut)
    form.locator(".swa-canned-title").fill(f"热线说明 {tag}")
    form.locator(".swa-canned-text").fill(text)
    form.locator(".swa-canned-save").click()
    expect(second_console.locator(".swa-notice")).to_have_text(f"常用语 {shortcut} 已保存。")
    entry = second_console.locator(f'.swa-canned-item[data-shortcut="{shortcut}"]')
    expect(entry.locator(".swa-canned-item-text")).to_have_text(text)
    expect(entry.locator(".swa-canned-badge")).to_have_text("全部技能组")

    # "/" and the start of the shortcut offer the new entry; picking it fills the reply.
    composer = pane.locator(".swa-reply-input")
    composer.click()
    composer.press_sequentially(shortcut[:6])
    suggestion = pane.locator(f'.swa-suggest-item[data-shortcut="{shortcut}"]')
    expect(suggestion.locator(".swa-suggest-title")).to_have_text(f"热线说明 {tag}")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-canned-suggest.png"))
    suggestion.click()
    expect(composer).to_have_value(filled)
    expect(pane.locator(".swa-suggest")).to_be_hidden()
    composer.press("Enter")
    expect(composer).to_have_value("")
    expect(agent_bubbles(user).last).to_have_text(filled)

    # The 常用语 panel finds it by its title too, and puts it in the reply unsent.
    pane.locator(".swa-canned-open").click()
    pane.locator(".swa-canned-search").fill(f"热线说明 {tag}")
    result = pane.locator(f'.swa-canned-result[data-shortcut="{shortcut}"]')
    expect(result).to_have_count(1)
    result.click()
    expect(pane.locator(".swa-canned-panel")).to_be_hidden()
    expect(composer).to_have_value(filled)
    expect(agent_bubbles(user)).to_have_count(2)  # the greeting and the reply sent above
    composer.fill("")

    # The agent reads the team's entries and keeps personal ones that only they see.
    console.locator(".swa-tab-canned").click()
    team_entry = console.locator(f'.swa-canned-item[data-shortcut="{shortcut}"]')
    expect(team_entry).to_be_visible()
    expect(team_entry.locator(".swa-canned-edit")).to_have_count(0)
    console.locator(".swa-canned-add").click()
    own_form = console.locator(".swa-canned-form")
    expect(own_form.locator(".swa-canned-personal")).to_be_checked()
    expect(own_form.locator(".swa-canned-personal")).to_be_disabled()
    own = f"/mine-{tag}"
    own_form.locator(".swa-canned-shortcut").fill(own)
    own_form.locator(".swa-canned-title").fill(f"马上查询 {tag}")
    own_form.locator(".swa-canned-text").fill(f"好的，我这边马上为您查询。（{tag}）")
    own_form.locator(".swa-canned-save").click()
    own_entry = console.locator(f'.swa-canned-item[data-shortcut="{own}"]')
    expect(own_entry.locator(".swa-canned-mine")).to_have_text("个人")
    console.screenshot(path=str(SCREENSHOT_DIR / "console-canned.png"))
    team_view = second_console.request.get(f"{stack.service_url}/console/api/canned").json()
    assert own not in [e["shortcut"] for e in team_view["canned"]]
    console.locator(f'.swa-chat-tab[data-conversation-id="{conversation_id}"]').click()
    composer.click()
    composer.press_sequentially(own)
    pane.locator(f'.swa-suggest-item[data-shortcut="{own}"]').click()
    expect(composer).to_have_value(f"好的，我这边马上为您查询。（{tag}）")
    composer.fill("")
    close_chat(pane)
    expect(pane).to_have_count(0)


def test_an_agent_transfers_a_chat_to_another_agent_with_a_note(
    stack, console: Page, second_console: Page, user: Page
):
    first = create_agent(stack)
    second = create_agent(stack, name="客服小转")
    log_in(console, stack, first, PASSWORD)
    go_online(console)
    conversation_id = ask_for_an_agent(user, stack, "空港物流")
    pane = chat_pane(console, conversation_id)
    expect(pane).to_be_visible()
    expect(agent_bubbles(user).first).to_have_text(CONNECTED_TEXT.format(name=AGENT_NAME))
    # The second agent comes online only now, so the user went to the first.
    log_in(second_console, stack, second, PASSWORD)
    go_online(second_console)

    note = f"用户咨询舱单申报回执，已核实运单号 {uuid.uuid4().hex[:6]}"
    pane.locator(".swa-transfer-chat").click()
    dialog = console.locator(".swa-transfer")
    expect(dialog).to_be_visible()
    dialog.get_by_label("指定客服").check()  # enabled once the online agents are listed
    dialog.locator(".swa-transfer-agent").select_option(second)
    dialog.locator(".swa-transfer-note").fill(note)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-transfer.png"))
    dialog.locator(".swa-transfer-submit").click()
    expect(dialog).to_be_hidden()
    expect(pane).to_have_count(0)
    expect(console.locator(".swa-notice")).to_contain_text("转接给客服小转")
    expect(console.locator(".swa-load-value")).to_have_text("0 / 3")

    # The second agent has the chat, with the note in view and the transcript so far.
    received = chat_pane(second_console, conversation_id)
    expect(received).to_be_visible()
    expect(received.locator(".swa-chat-note")).to_have_text(f"转接备注：{AGENT_NAME}：{note}")
    expect(received.locator('.swa-line[data-role="agent"]').last).to_contain_text("客服小转")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    second_console.screenshot(path=str(SCREENSHOT_DIR / "console-transfer-note.png"))

    # The user is told, and greeted by the new agent, who answers.
    expect(user.locator('.swa-msg[data-role="system"] .swa-bubble').last).to_have_text(
        HANDED_OVER_TEXT
    )
    expect(agent_bubbles(user).last).to_have_text(CONNECTED_TEXT.format(name="客服小转"))
    composer = received.locator(".swa-reply-input")
    composer.fill("您好，舱单回执的问题由我继续为您处理。")
    composer.press("Enter")
    expect(agent_bubbles(user).last).to_have_text("您好，舱单回执的问题由我继续为您处理。")
    assert chat_of(stack, conversation_id)[0] == second
    close_chat(received)
    expect(received).to_have_count(0)


def test_a_supervisor_listens_in_whispers_and_takes_a_chat_over(
    stack, console: Page, second_console: Page, user: Page
):
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    go_online(console)
    conversation_id = ask_for_an_agent(user, stack, "其他")
    pane = chat_pane(console, conversation_id)
    expect(agent_bubbles(user).first).to_have_text(CONNECTED_TEXT.format(name=AGENT_NAME))

    # The agent's side panel: who the user is, and a note for staff only.
    pane.locator(".swa-contact > summary").click()
    expect(pane.locator(".swa-contact-who")).to_contain_text("未登录（匿名用户）")
    expect(pane.locator(".swa-contact-chats li")).to_have_count(1)
    pane.locator(".swa-note-input").fill("用户第二次来问报关单状态")
    pane.locator(".swa-note-add").click()
    expect(pane.locator(".swa-note")).to_have_count(1)
    expect(pane.locator(".swa-note-text")).to_have_text("用户第二次来问报关单状态")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-contact.png"))

    supervisor = create_agent(stack, "--role", "supervisor", name=SUPERVISOR_NAME)
    log_in(second_console, stack, supervisor, PASSWORD)
    second_console.locator(".swa-tab-live").click()
    live = second_console.locator(".swa-live")
    served = live.locator(f'.swa-live-chat[data-conversation-id="{conversation_id}"]')
    served.locator(".swa-live-listen").click()
    listening = live.locator(".swa-listen")
    expect(listening.locator(".swa-listen-status")).to_have_text("监听中")
    expect(listening.locator(".swa-line").last).to_contain_text(AGENT_NAME)
    question = f"我的报关单 {uuid.uuid4().hex[:6]} 一直显示审核中"
    say(user, question)
    expect(listening.locator(".swa-line").last).to_contain_text(question)

    # A whisper reaches the agent's chat, not the user.
    hint = "先请用户提供统一社会信用代码"
    listening.locator(".swa-whisper-input").fill(hint)
    listening.locator(".swa-whisper-send").click()
    expect(pane.locator(".swa-whisper .swa-line-text")).to_have_text(hint)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-whisper.png"))
    second_console.screenshot(path=str(SCREENSHOT_DIR / "console-listen.png"))

    # Taking over: the user is told and greeted by the supervisor, the agent's chat ends.
    second_console.once("dialog", lambda dialog: dialog.accept())
    listening.locator(".swa-listen-takeover").click()
    taken = chat_pane(second_console, conversation_id)
    expect(taken).to_be_visible()
    expect(pane.locator(".swa-chat-ended")).to_have_text("已由主管接管")
    expect(user.locator('.swa-msg[data-role="system"] .swa-bubble').last).to_have_text(
        TAKEN_OVER_TEXT
    )
    expect(agent_bubbles(user).last).to_have_text(CONNECTED_TEXT.format(name=SUPERVISOR_NAME))
    expect(user.get_by_text(hint)).to_have_count(0)
    composer = taken.locator(".swa-reply-input")
    composer.fill("您好，我来为您核实审核进度。")
    composer.press("Enter")
    expect(agent_bubbles(user).last).to_have_text("您好，我来为您核实审核进度。")
    assert chat_of(stack, conversation_id)[0] == supervisor
    close_chat(taken)
    expect(taken).to_have_count(0)


def test_an_agent_finds_a_line_they_wrote_in_the_search_tab(stack, console: Page, user: Page):
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    go_online(console)
    conversation_id = ask_for_an_agent(user, stack, "其他")
    pane = chat_pane(console, conversation_id)
    token = f"E2E{uuid.uuid4().hex[:8].upper()}"
    line = f"您的报关单 {token} 已受理，请留意短信通知。"
    composer = pane.locator(".swa-reply-input")
    composer.fill(line)
    composer.press("Enter")
    expect(agent_bubbles(user).last).to_have_text(line)
    close_chat(pane)
    expect(pane).to_have_count(0)

    # Found by a word of it, lower case, among the agent's own lines.
    console.locator(".swa-tab-search").click()
    expect(console.locator(".swa-search-scope")).to_contain_text("仅显示您接待过的会话")
    console.locator(".swa-search-text").fill(token.lower())
    console.locator(".swa-search-submit").click()
    hit = console.locator(".swa-hit", has_text=token)
    expect(hit).to_have_count(1)
    expect(console.locator(".swa-hit")).to_have_count(1)
    expect(hit).to_have_attribute("data-role", "agent")
    expect(hit.locator(".swa-hit-role")).to_have_text("客服")
    expect(hit.locator(".swa-match")).to_have_text(token)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-search.png"))

    # Opened, it shows the whole conversation with the line marked.
    hit.click()
    expect(console.locator(".swa-record-id")).to_have_text(conversation_id)
    marked = console.locator('.swa-record-lines .swa-line[data-hit="true"]')
    expect(marked.locator(".swa-line-text")).to_have_text(line)
    expect(console.locator(".swa-record-lines .swa-line").first).to_contain_text("单一窗口智能客服")
    console.locator(".swa-record-back").click()
    expect(hit).to_be_visible()

    # The chats the agent served are listed too, with how they ended.
    console.locator(".swa-search-kind").select_option(label="人工会话")
    chat = console.locator(f'.swa-hit[data-conversation-id="{conversation_id}"]')
    expect(chat.locator(".swa-hit-text")).to_have_text("已解决 · 未评价")


def test_the_supervisor_live_view_follows_the_queue_and_the_agents(
    stack, browser: Browser, console: Page, second_console: Page, user: Page
):
    # One agent for 跨境电商 with room for one chat: a first user fills it, a second waits.
    agent = create_agent(stack, "--skills", "cross_border", "--capacity", "1")
    log_in(console, stack, agent, PASSWORD)
    go_online(console)
    first = ask_for_an_agent(user, stack, "跨境电商")
    expect(chat_pane(console, first)).to_be_visible()

    supervisor = create_agent(stack, "--role", "supervisor", name=SUPERVISOR_NAME)
    log_in(second_console, stack, supervisor, PASSWORD)
    live = second_console.locator(".swa-live")
    second_console.locator(".swa-tab-live").click()
    expect(live).to_be_visible()
    row = live.locator(f'.swa-live-agent[data-username="{agent}"]')
    expect(row.locator(".swa-live-agent-name")).to_contain_text(AGENT_NAME)
    expect(row.locator(".swa-live-status")).to_have_text("在线")
    expect(row.locator(".swa-live-load")).to_have_text("1 / 1")
    expect(row.locator(".swa-live-connected")).to_have_text("已连接")
    skill = live.locator('.swa-live-skill[data-skill="cross_border"]')
    expect(skill.locator(".swa-live-skill-title")).to_have_text("跨境电商")
    expect(skill.locator(".swa-live-waiting")).to_have_text("0")
    expect(skill.locator(".swa-live-longest")).to_have_text("—")
    expect(skill.locator(".swa-live-online")).to_contain_text("1 人")
    handled = live.locator('.swa-live-figure[data-figure="handled"] dd')
    expect(handled).to_have_text(re.compile(r"^\d+$"))
    handled_before = int(handled.inner_text())
    for figure in ("已接待", "放弃排队", "平均等待", "平均处理时长", "满意度"):
        expect(live.locator(".swa-live-today dt", has_text=figure)).to_have_count(1)
    expect(live.locator('.swa-live-figure[data-figure="handle"] dd')).to_have_text(
        re.compile(r"^(—|\d\d:\d\d)$")
    )
    expect(live.locator('.swa-live-figure[data-figure="csat"] dd')).to_have_text(
        re.compile(r"^(暂无评价|[1-5]\.\d 分（共 \d+ 条评价）)$")
    )

    with user_page(browser) as second_user:
        second = ask_for_an_agent(second_user, stack, "跨境电商")
        expect(second_user.locator('.swa-msg[data-role="system"]').last).to_contain_text(
            "您前面还有 0 位用户"
        )
        # The waiting user shows (the websocket's "queue" event, or the next poll).
        expect(skill.locator(".swa-live-waiting")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
        expect(skill.locator(".swa-live-longest")).to_have_text(re.compile(r"^\d\d:\d\d$"))
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        second_console.screenshot(path=str(SCREENSHOT_DIR / "console-live.png"))

        # A status change has no event of its own: the polling shows it.
        console.select_option("#swa-status", label="忙碌")
        expect(row.locator(".swa-live-status")).to_have_text("忙碌", timeout=LIVE_TIMEOUT_MS)
        console.select_option("#swa-status", label="在线")
        expect(row.locator(".swa-live-status")).to_have_text("在线", timeout=LIVE_TIMEOUT_MS)

        # The first chat ends: the waiting user is served, and the view follows.
        close_chat(chat_pane(console, first))
        expect(chat_pane(console, second)).to_be_visible()
        expect(agent_bubbles(second_user)).to_have_count(1)
        expect(skill.locator(".swa-live-waiting")).to_have_text("0", timeout=LIVE_TIMEOUT_MS)
        expect(skill.locator(".swa-live-longest")).to_have_text("—")
        expect(handled).to_have_text(str(handled_before + 1), timeout=LIVE_TIMEOUT_MS)
        expect(row.locator(".swa-live-load")).to_have_text("1 / 1")
        close_chat(chat_pane(console, second))
        expect(chat_pane(console, second)).to_have_count(0)

    # Another tab stops the polling; the agent's logout shows when the view is back.
    second_console.locator(".swa-tab-tickets").click()
    expect(live).to_be_hidden()
    console.locator(".swa-logout").click()
    expect(console.locator(".swa-login")).to_be_visible()
    second_console.locator(".swa-tab-live").click()
    expect(row.locator(".swa-live-status")).to_have_text("离线")
    expect(live.locator(".swa-live-error")).to_be_hidden()


def test_the_live_view_is_for_supervisors_and_says_when_it_cannot_load(stack, console: Page):
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    expect(console.locator(".swa-me-name")).to_have_text(AGENT_NAME)
    expect(console.locator(".swa-tab-live")).to_be_hidden()
    expect(console.locator(".swa-tab-canned")).to_be_visible()  # for personal entries
    console.locator(".swa-logout").click()

    supervisor = create_agent(stack, "--role", "supervisor", name=SUPERVISOR_NAME)
    log_in(console, stack, supervisor, PASSWORD)
    console.locator(".swa-tab-live").click()
    error = console.locator(".swa-live-error")
    expect(console.locator(".swa-live-updated")).to_contain_text("更新于")
    # The network fails: the pane says so instead of breaking; it recovers by itself.
    console.route("**/console/api/supervisor", lambda route: route.abort())
    expect(error).to_have_text(
        re.compile("^实时数据更新失败：网络连接异常"), timeout=LIVE_TIMEOUT_MS
    )
    console.unroute("**/console/api/supervisor")
    expect(error).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    # Refused (no longer a supervisor's session, say): the reason, in Chinese.
    console.route(
        "**/console/api/supervisor",
        lambda route: route.fulfill(
            status=403,
            content_type="application/json",
            body=json.dumps({"detail": "仅班长（主管）可以进行此操作。"}),
        ),
    )
    console.locator(".swa-live-refresh").click()
    expect(error).to_have_text("仅班长（主管）可以查看实时监控。")
    expect(console.locator(".swa-live-skill")).to_have_count(0)
