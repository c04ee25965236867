"""A ticket (留言) left in WeChat or Telegram, answered by an agent in the console in Chromium.

The user talks to the real bot through the channel's stand-in (signed WeChat XML posted to the
callback, Telegram updates posted to the webhook with the secret), asks for a person while no
agent of the topic is online and leaves a message. An agent opens it in the console of the
service process that has the channels on (tests/e2e/test_channels.py's), takes it, answers and
closes it; each step reaches the user as the channel's own outbound call: a customer-service
message to the user's openid on the WeChat API stand-in, a sendMessage to the user's chat on the
Bot API stand-in, saying the status the user is in (处理中, 已回复, 已关闭). The answer arrives
once: the ticket's delivery and the relay that follows users in a human chat never both send it.
"""

import re
import time
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from actions.handoff import ASK_SKILL_TEXT
from queue_service.handoff import texts
from tests.e2e.test_channels import TelegramChat, WeChatUser
from tests.e2e.test_channels import channels as channels  # the fixture, shared
from tests.e2e.test_console_browser import AGENT_NAME, PASSWORD, console_page, create_agent
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Nobody serves this topic in the e2e stack between tests: the user is offered to leave a message.
SKILL_TITLE = "通关/货物申报"
CHANNEL_TITLES = {"wechat": "微信", "telegram": "Telegram"}
# How long a second copy of a delivered line would take to show (the relay coalesces for 1 s).
DUPLICATE_WINDOW_S = 3.0


def leave_a_ticket(user: WeChatUser | TelegramChat, text: str, contact: str) -> int:
    """The user asks for a person, is offered 留言 and leaves one; its number."""
    user.start()
    assert ASK_SKILL_TEXT in user.say("转人工")
    offer = user.choose(SKILL_TITLE)
    assert texts.NO_AGENT_TEXT in offer, offer
    assert user.options()[:2] == [texts.LEAVE_MESSAGE_TITLE, texts.BACK_TO_BOT_TITLE]
    assert texts.ASK_TEXT_TEXT in user.choose(texts.LEAVE_MESSAGE_TITLE)
    assert texts.ASK_CONTACT_TEXT in user.say(text)
    done = user.say(contact)
    found = re.search(r"留言已提交，编号 (\d+)", done)
    assert found, done
    return int(found.group(1))


def sent_to_user(channels, user: WeChatUser | TelegramChat) -> list[dict]:
    """The channel API calls that carried a text to this user, in order."""
    if isinstance(user, WeChatUser):
        return [m for m in channels.wechat.sent if m["touser"] == user.openid]
    with channels.telegram.lock:
        return [m for m in channels.telegram.sent if int(m["chat_id"]) == user.chat_id]


def text_of(call: dict) -> str:
    return call["text"]["content"] if "touser" in call else call["text"]


def wait_for_text(channels, user, before: int, expected: str) -> dict:
    """The first call since ``before`` whose text is ``expected``; fails after 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for call in sent_to_user(channels, user)[before:]:
            if text_of(call) == expected:
                return call
        time.sleep(0.05)
    seen = [text_of(call) for call in sent_to_user(channels, user)[before:]]
    raise AssertionError(f"{expected!r} not in {seen}")


def log_in_at(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/console")
    page.fill("#swa-login-username", username)
    page.fill("#swa-login-password", PASSWORD)
    page.locator(".swa-login-submit").click()
    expect(page.locator(".swa-me-name")).to_have_text(AGENT_NAME)


@pytest.fixture(params=["wechat", "telegram"])
def channel_user(request, channels) -> WeChatUser | TelegramChat:
    if request.param == "wechat":
        return WeChatUser(channels, f"o-ticket-e2e-{uuid.uuid4().hex[:12]}")
    return TelegramChat(channels, 900000 + time.monotonic_ns() % 90000)


def test_an_agent_answers_a_channel_users_ticket_and_the_user_reads_it_in_the_channel(
    stack, channels, browser: Browser, channel_user
) -> None:
    user = channel_user
    channel = user.conversation_id.split(":", 1)[0]
    question = f"报关单状态一直是“审核中”怎么办 {uuid.uuid4().hex[:6]}"
    number = leave_a_ticket(user, question, "13812345678")

    username = create_agent(stack)
    with console_page(stack, browser) as console:
        log_in_at(console, channels.url, username)
        console.locator(".swa-tab-tickets").click()
        ticket = console.locator(f'.swa-ticket[data-ticket-id="{number}"]')
        expect(ticket.locator(".swa-ticket-text")).to_have_text(question)
        expect(ticket.locator(".swa-ticket-status")).to_have_text("待处理")
        expect(ticket.locator(".swa-channel")).to_have_text(CHANNEL_TITLES[channel])
        expect(ticket.locator(".swa-ticket-skill")).to_have_text(SKILL_TITLE)
        expect(ticket.locator(".swa-ticket-contact-value")).to_have_text("13812345678")

        # Opened: what the user said in the channel is there; taken, the user hears it.
        ticket.locator(".swa-ticket-more > summary").click()
        history = ticket.locator(".swa-ticket-lines")
        expect(history.locator('.swa-line[data-role="user"]', has_text=question)).to_have_count(1)
        before = len(sent_to_user(channels, user))
        ticket.locator(".swa-ticket-take").click()
        taken = console.locator(f'.swa-ticket[data-ticket-id="{number}"]')
        expect(taken.locator(".swa-ticket-status")).to_have_text("处理中")
        wait_for_text(
            channels, user, before, texts.TICKET_TAKEN_TEXT.format(id=number, name=AGENT_NAME)
        )

        # Answered: the channel's API carries it to this user, in the agent's name, once.
        answer = f"您好，请核对报关单的申报地海关代码后重新发送 {uuid.uuid4().hex[:4]}"
        before = len(sent_to_user(channels, user))
        taken.locator(".swa-ticket-more > summary").click()
        taken.locator('.swa-ticket-form[data-action="reply"] textarea').fill(answer)
        taken.locator(".swa-ticket-reply").click()
        expect(console.locator(".swa-notice")).to_have_text("回复已发送给用户。")
        replied = console.locator(f'.swa-ticket[data-ticket-id="{number}"]')
        expect(replied.locator(".swa-ticket-status")).to_have_text("已回复")
        reply_text = f"{AGENT_NAME}：" + texts.TICKET_REPLY_TEXT.format(id=number, text=answer)
        call = wait_for_text(channels, user, before, reply_text)
        assert "当前状态：已回复" in text_of(call)
        if isinstance(user, WeChatUser):
            assert call["touser"] == user.openid and call["msgtype"] == "text"
        else:
            assert int(call["chat_id"]) == user.chat_id
            assert "sendMessage" in channels.telegram.calls
        replied.locator(".swa-ticket-more > summary").click()
        expect(replied.locator(".swa-ticket-replies .swa-ticket-text")).to_have_text(answer)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        console.screenshot(path=str(SCREENSHOT_DIR / f"console-ticket-{channel}.png"))
        time.sleep(DUPLICATE_WINDOW_S)
        copies = [c for c in sent_to_user(channels, user)[before:] if answer in text_of(c)]
        assert len(copies) == 1, copies

        # Closed with a note for the help desk: the user hears it is closed, not the note.
        before = len(sent_to_user(channels, user))
        replied.locator('.swa-ticket-form[data-action="close"] textarea').fill("已在渠道内答复")
        replied.locator(".swa-ticket-close").click()
        expect(console.locator(".swa-notice")).to_have_text(f"留言 #{number} 已关闭。")
        wait_for_text(channels, user, before, texts.TICKET_CLOSED_TEXT.format(id=number))
        assert not any("已在渠道内答复" in text_of(c) for c in sent_to_user(channels, user))

    # The user writes again: the bot answers, nothing of the ticket is sent a second time.
    before = len(sent_to_user(channels, user))
    assert "解锁" in user.say("法人卡被锁了怎么解锁")
    assert not any(answer in text_of(c) for c in sent_to_user(channels, user)[before:])
