"""The agent console in headless Chromium: an agent serves a web chat user from start to end.

Two browser contexts share the real stack: the agent's console (/console) and a user's web
chat (/). The user talks to the bot, asks for a person, is given to the online agent
automatically, chats with them, and rates the chat once the agent closes it.
"""

import json
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import ClientConnection, connect

from actions.handoff import ASK_SKILL_TEXT
from queue_service.console.api import TAKEN
from queue_service.console.auth import BAD_LOGIN, NOT_LOGGED_IN
from queue_service.handoff.desk import NO_AGENT_TEXT, RATE_TEXT, RATED_TEXT
from queue_service.handoff.switchboard import CONNECTED_TEXT
from stack.paths import ROOT
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR, bot_messages
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "console-e2e-secret"
AGENT_NAME = "客服小测"
TITLE = "单一窗口客服工作台"
CONVERSATION_KEY = "swa.webchat.conversation"


def create_agent(stack, *options: str) -> str:
    """A fresh agent serving every skill, made with the management command as an admin would."""
    username = f"e2e-console-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "queue_service.agents", "create", username]
    result = subprocess.run(
        [*command, "--name", AGENT_NAME, *options],
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


@pytest.fixture
def console(stack, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[Exception] = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    # Logging out sets the agent offline, so later tests do not find an agent at work.
    page.request.post(f"{stack.service_url}/console/api/logout")
    context.close()
    assert not errors, f"script errors in the console: {errors}"


@pytest.fixture
def user(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


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
    return "webchat:" + page.evaluate(f"localStorage.getItem('{CONVERSATION_KEY}')")


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
    conversation_id = "webchat:" + user.evaluate(f"localStorage.getItem('{CONVERSATION_KEY}')")

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
    rating.locator(".swa-buttons button", has_text="5 非常满意").click()
    expect(user.locator('.swa-msg[data-role="system"] .swa-bubble').last).to_have_text(RATED_TEXT)
    assert chat_of(stack, conversation_id) == (username, "resolved", 5)


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

        # Claiming while full is refused, with the server's words.
        waiting.locator(".swa-claim").click()
        expect(console.locator(".swa-notice")).to_have_text(TAKEN)
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


def test_tickets_tab_lists_a_message_left_and_marks_it_done(stack, console: Page, user: Page):
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
    expect(ticket.locator(".swa-ticket-skill")).to_have_text("通关/货物申报")
    expect(ticket.locator(".swa-ticket-contact-value")).to_have_text("e2e-ticket@example.com")
    expect(ticket.locator(".swa-ticket-time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    )

    # A note is required; with one, the ticket moves to the done list.
    ticket.locator(".swa-ticket-done").click()
    expect(console.locator(".swa-notice")).to_have_text("请填写处理备注。")
    ticket.locator(".swa-ticket-note").fill("已邮件回复用户")
    ticket.locator(".swa-ticket-done").click()
    expect(ticket).to_have_count(0)
    console.select_option("#swa-ticket-state", "done")
    done = console.locator('.swa-ticket[data-status="done"]', has_text=text)
    expect(done.locator(".swa-ticket-result")).to_contain_text(username)
    expect(done.locator(".swa-ticket-result")).to_contain_text("已邮件回复用户")


def test_typing_shows_both_ways_and_the_console_reconnects(stack, console: Page):
    username = create_agent(stack)
    log_in(console, stack, username, PASSWORD)
    go_online(console)
    with connect(stack.ws_url) as ws:
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
    with connect(f"{stack.ws_url}?conversation={session['conversation_id']}") as ws:
        history = json.loads(ws.recv(timeout=30))["history"]
    assert history[-1]["role"] == "agent" and history[-1]["text"] == "正在为您查询"
    close_chat(pane)
    expect(pane).to_have_count(0)
