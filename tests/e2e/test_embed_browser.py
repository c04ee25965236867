"""The one-line embed on another site, in headless Chromium: launcher, options, unread badge
while minimized, the site's login passed in, the phone layout, and a site not allowed to frame.

The site is served from http://localhost:<port>, the chat from http://127.0.0.1:<port>: two
origins, as a portal and the chat host are in production.
"""

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from kernel.claims import Identity, Kind, Source
from queue_service.bus import PREFIX
from queue_service.identity.portal import PortalTokens
from queue_service.settings import Settings
from queue_service.topics import user_topic
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared
from tests.support.servers import http_server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WANG = Identity(kind=Kind.PERSON, subject="person-demo-1", name="王小明", source=Source.PORTAL)


@dataclass
class Site:
    url: str  # the embedding site (allowed)
    chat_url: str


@pytest.fixture(scope="module")
def site(stack) -> Iterator[Site]:
    chat: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qsl(self.path.partition("?")[2])
            options = " ".join(f'{name}="{html.escape(value)}"' for name, value in query)
            body = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>单一窗口门户</title></head><body><h1>门户首页</h1>"
                f'<script src="{chat["url"]}/webchat/static/embed.js" {options} async></script>'
                "</body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as served:
        allowed = served.replace("127.0.0.1", "localhost")
        with stack.extra_service("embed-service", SWA_EMBED_ORIGINS=allowed) as chat_url:
            chat["url"] = chat_url
            yield Site(allowed, chat_url)


def context_page(browser: Browser, width: int, height: int) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from context_page(browser, 1200, 800)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from context_page(browser, 390, 844)


def publish_agent_line(stack, conversation: str, text: str) -> None:
    """An agent's line on the user's bus topic, as the switchboard publishes it."""
    line = {
        "id": 10**9,
        "conversation_id": conversation,
        "role": "agent",
        "text": text,
        "sender_name": "客服小王",
        "created_at": datetime.now(UTC).isoformat(),
    }
    client = redis.from_url(stack.env["SWA_REDIS_URL"])
    event = {"type": "messages", "messages": [line]}
    client.publish(PREFIX + user_topic(conversation), json.dumps(event, ensure_ascii=False))
    client.close()


def test_launcher_options_and_unread_badge_while_minimized(stack, site: Site, page: Page) -> None:
    page.goto(f"{site.url}/?data-position=left&data-color=%23c0392b&data-title=问问客服")
    launcher = page.locator("#swa-chat-widget .launcher")
    expect(launcher).to_contain_text("问问客服")
    expect(launcher).to_have_css("background-color", "rgb(192, 57, 43)")
    assert launcher.bounding_box()["x"] < 100  # bottom left, as asked

    launcher.click()
    chat = page.frame_locator("#swa-chat-widget iframe")
    expect(chat.locator(".swa-status")).to_have_text("在线")
    expect(chat.locator('.swa-msg[data-role="bot"]').first).to_contain_text("智能客服")
    expect(chat.locator(".swa-header")).to_have_css("background-color", "rgb(192, 57, 43)")

    page.locator("#swa-chat-widget .minimize").click()
    expect(page.locator("#swa-chat-widget .panel")).to_be_hidden()
    badge = page.locator("#swa-chat-widget .badge")
    expect(badge).to_be_hidden()
    frame = page.frames[-1]
    # (Not from localStorage: Chromium blocks it in a frame of another site.)
    conversation = "webchat:" + frame.evaluate("document.documentElement.dataset.conversation")
    publish_agent_line(stack, conversation, "您好，请问还有什么可以帮您？")
    expect(badge).to_have_text("1")
    expect(launcher).to_have_attribute("aria-label", "问问客服（1 条未读消息）")

    launcher.click()
    expect(badge).to_be_hidden()
    expect(chat.locator('.swa-msg[data-role="agent"]')).to_contain_text("请问还有什么可以帮您")


def test_the_sites_login_reaches_the_chat(site: Site, page: Page) -> None:
    page.goto(site.url)
    page.evaluate("SWAChat.open()")
    chat = page.frame_locator("#swa-chat-widget iframe")
    expect(chat.locator(".swa-status")).to_have_text("在线")
    settings = Settings()
    token = PortalTokens(settings.portal_jwt_secret.get_secret_value(), settings.portal_issuer)
    page.evaluate("token => SWAChat.login(token)", token.mint(WANG, 600))
    expect(chat.locator(".swa-identity")).to_have_text("已登录：王小明")
    page.evaluate("SWAChat.logout()")
    expect(chat.locator(".swa-identity")).to_be_hidden()


def test_on_a_phone_the_chat_fills_the_screen(site: Site, phone: Page) -> None:
    phone.goto(f"{site.url}/?data-open=true")
    panel = phone.locator("#swa-chat-widget .panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    chat = phone.frame_locator("#swa-chat-widget iframe")
    expect(chat.locator(".swa-subtitle")).to_be_hidden()
    expect(chat.locator("#swa-input")).to_have_css("font-size", "16px")


def test_a_site_not_allowed_cannot_frame_the_chat(site: Site, page: Page) -> None:
    response = httpx.get(f"{site.chat_url}/")
    policy = response.headers["content-security-policy"].split("; ")
    assert f"frame-ancestors 'self' {site.url}" in policy
    # The same page from another origin (127.0.0.1 instead of localhost): the frame stays empty.
    page.goto(f"{site.url.replace('localhost', '127.0.0.1')}/?data-open=true")
    expect(page.locator("#swa-chat-widget iframe")).to_be_attached()
    page.wait_for_timeout(1500)
    frame = page.frames[-1]
    assert frame.locator(".swa-chat").count() == 0
