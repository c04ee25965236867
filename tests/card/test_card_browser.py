"""卡介质验证 in headless Chromium: the chat page, the real bridge and pcscd with a demo 法人卡."""

import os
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from queue_service import db
from queue_service.app import create_app
from queue_service.identity import card_texts
from queue_service.identity.card_demo import DEMO_CARDS, demo_key
from queue_service.settings import Settings
from tests.card.conftest import in_days, run_bridge
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared
from tests.support.eport_card import INITIAL_PIN, CardAuthority
from tests.support.rasa_standins import recording_rasa
from tests.support.servers import free_port, port_open, wait_until
from tests.support.sm2_certificates import Sm2Key

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("SWA_SCREENSHOT_DIR", "var/screenshots")


class ServiceThread:
    """The service in this process (uvicorn on a free port), so the page has a real origin."""

    def __init__(self, settings: Settings) -> None:
        self.port = settings.port
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_config=None)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServiceThread":
        self.thread.start()
        wait_until(lambda: port_open(self.port), 20, "service")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def chat_site(pcsc_daemon, empty_redis_url, tmp_path) -> Iterator[tuple[str, str]]:
    """(service URL, bridge URL): a service whose page may use a bridge that allows it."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'swa.db'}"
    # In a thread: Playwright's sync API keeps an event loop running in this one.
    migrate = threading.Thread(target=db.upgrade, args=(database_url,))
    migrate.start()
    migrate.join(60)
    with (
        run_bridge(pcsc_daemon, origin, tmp_path) as bridge,
        recording_rasa() as rasa,
    ):
        settings = Settings(
            redis_url=empty_redis_url,
            database_url=database_url,
            rasa_url=rasa.url,
            rasa_timeout_s=2,
            port=port,
            public_url=origin,
            card_bridge_url=bridge.url,
        )
        with ServiceThread(settings):
            yield origin, bridge.url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 520, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def system_lines(page: Page):
    return page.locator('.swa-msg[data-role="system"] .swa-bubble')


def test_card_login_in_the_page_with_a_wrong_pin_first_then_removal(chat_site, page, reader):
    service_url, _bridge_url = chat_site
    number, _subject, enterprise, holder, _role = DEMO_CARDS[0]  # ent-demo-1's 法人卡
    page.goto(service_url)
    expect(page.locator(".swa-status")).to_have_text("在线")

    page.get_by_role("button", name="卡介质验证").click()
    status = page.locator(".swa-card-panel .swa-card-status")
    expect(status).to_have_text("未检测到电子口岸卡，请将法人卡或操作员卡插入读卡器。")

    applet = CardAuthority().issue(number, holder, in_days(700), key=Sm2Key(*demo_key(number)))
    reader.insert(applet)
    page.locator("#swa-card-pin").fill("12345678")
    page.get_by_role("button", name="验证", exact=True).click()
    expect(status).to_contain_text("卡密码错误，您还可以尝试 4 次")
    expect(page.locator("#swa-card-pin")).to_have_value("")  # the PIN does not linger

    page.locator("#swa-card-pin").fill(INITIAL_PIN)
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".swa-identity")).to_have_text(f"已验证法人卡：{holder}（{enterprise}）")
    expect(page.locator(".swa-card-panel")).to_be_hidden()
    expect(system_lines(page).filter(has_text="卡介质验证成功")).to_have_count(1)
    expect(system_lines(page).filter(has_text="初始密码 88888888")).to_have_count(1)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=f"{SCREENSHOTS}/card-login.png", full_page=True)

    # Logged in with the initial PIN: the page offers to change it, on the card itself.
    change = page.locator(".swa-card-change")
    expect(change).to_be_visible()
    page.locator("#swa-card-new-pin").fill("20261124")
    page.locator("#swa-card-new-pin-again").fill("20261125")
    page.get_by_role("button", name="修改卡密码").click()
    expect(change.locator(".swa-card-status")).to_have_text("两次输入的新密码不一致，请重新输入。")
    page.locator("#swa-card-new-pin").fill("20261124")
    page.locator("#swa-card-new-pin-again").fill("20261124")
    page.get_by_role("button", name="修改卡密码").click()
    expect(change).to_be_hidden()
    expect(system_lines(page).filter(has_text="卡密码已修改")).to_have_count(1)
    assert applet.pin == "20261124"

    # A reload keeps the card login and watches the reader again.
    page.reload()
    expect(page.locator(".swa-identity")).to_have_text(f"已验证法人卡：{holder}（{enterprise}）")
    reader.remove()
    expect(page.locator(".swa-identity")).to_be_hidden()
    expect(system_lines(page).filter(has_text=card_texts.REMOVED)).to_have_count(1)


def test_a_card_taken_out_while_the_page_was_closed_ends_at_the_next_visit(
    chat_site, page, reader
):
    service_url, _bridge_url = chat_site
    number, _subject, enterprise, holder, _role = DEMO_CARDS[1]  # ent-demo-1's 操作员卡
    applet = CardAuthority().issue(
        number, holder, in_days(700), key=Sm2Key(*demo_key(number)), pin="24681357"
    )
    reader.insert(applet)
    page.goto(service_url)
    page.get_by_role("button", name="卡介质验证").click()
    page.locator("#swa-card-pin").fill("24681357")
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".swa-identity")).to_have_text(f"已验证操作员卡：{holder}（{enterprise}）")
    expect(page.locator(".swa-card-change")).to_be_hidden()  # not on the initial PIN
    page.goto("about:blank")
    reader.remove()
    page.goto(service_url)
    expect(system_lines(page).filter(has_text=card_texts.REMOVED)).to_have_count(1)
    expect(page.locator(".swa-identity")).to_be_hidden()


def test_a_page_from_another_origin_cannot_use_the_bridge(chat_site, page, reader, new_card):
    service_url, bridge_url = chat_site
    card = reader.insert(new_card())
    # The same service under another name is another origin, one the bridge does not allow.
    other = service_url.replace("127.0.0.1", "localhost")
    page.goto(other)
    outcome = page.evaluate(
        """async (bridge) => {
            try {
                const response = await fetch(bridge + "/prove", {
                    method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({challenge: "a".repeat(43), pin: "88888888"})});
                return "read " + response.status;
            } catch (error) { return "blocked: " + error.name; }
        }""",
        bridge_url,
    )
    assert outcome == "blocked: TypeError"
    assert card.apdus == []
    # The allowed origin, same browser, same bridge: it can.
    page.goto(service_url)
    readers = page.evaluate(
        "async (bridge) => (await (await fetch(bridge + '/readers')).json()).readers",
        bridge_url,
    )
    assert {"name": reader.name, "card_present": True} in readers
