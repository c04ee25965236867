"""Images both ways in a human chat, in headless Chromium (issue 20): a web chat user served
by an agent sends a picture and the agent sees it inline in the console; the agent sends one
back and the user sees it inline; both are there again after the user reloads the page. Neither
page reports a Content-Security-Policy violation or a script error on the way."""

import pytest
from playwright.sync_api import Page, expect

from queue_service.handoff.texts import CONNECTED_TEXT
from tests.e2e.test_console_browser import (
    AGENT_NAME,
    PASSWORD,
    agent_bubbles,
    ask_for_an_agent,
    chat_pane,
    close_chat,
    create_agent,
    go_online,
    log_in,
)
from tests.e2e.test_console_browser import browser as browser  # the fixture, shared
from tests.e2e.test_console_browser import console as console  # the fixture, shared
from tests.e2e.test_console_browser import user as user  # the fixture, shared
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR, csp_violations
from tests.support.images import png

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Drawn images only: a picture whose natural size is this was fetched, decoded and shown.
DRAWN = "img => img.complete && img.naturalWidth === {width}"


def drawn(image, width: int) -> None:
    expect(image).to_be_visible()
    image.page.wait_for_function(DRAWN.format(width=width), arg=image.element_handle())


def test_a_user_and_an_agent_send_each_other_images(stack, console: Page, user: Page) -> None:
    refused_on_console, refused_on_user = csp_violations(console), csp_violations(user)
    agent = create_agent(stack)
    log_in(console, stack, agent, PASSWORD)
    go_online(console)

    conversation_id = ask_for_an_agent(user, stack, "其他")
    expect(agent_bubbles(user).first).to_have_text(CONNECTED_TEXT.format(name=AGENT_NAME))
    image_button = user.locator(".swa-image-button")
    expect(image_button).to_be_visible()

    # The user's picture, named like anything: the server looks at its bytes.
    photo = {"name": "截图.png", "mimeType": "image/png", "buffer": png(40, 30, (200, 30, 30))}
    user.locator(".swa-image-input").set_input_files(photo)
    drawn(user.locator('.swa-msg[data-role="user"] img').last, 40)

    pane = chat_pane(console, conversation_id)
    drawn(pane.locator('.swa-line[data-role="user"] .swa-line-image img'), 40)

    # The agent's picture back, from the pane's 图片 button.
    reply = {"name": "guide.png", "mimeType": "image/png", "buffer": png(24, 16, (0, 0, 200))}
    pane.locator(".swa-image-input").set_input_files(reply)
    drawn(pane.locator('.swa-line[data-role="agent"] .swa-line-image img'), 24)
    drawn(user.locator('.swa-msg[data-role="agent"] img').last, 24)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    user.screenshot(path=str(SCREENSHOT_DIR / "webchat-images.png"))
    console.screenshot(path=str(SCREENSHOT_DIR / "console-images.png"))

    # A reload replays both from the transcript.
    user.reload()
    drawn(user.locator('.swa-msg[data-role="user"] img').last, 40)
    drawn(user.locator('.swa-msg[data-role="agent"] img').last, 24)

    # Something that is not an image is refused, with words the user understands.
    fake = {"name": "photo.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)>"}
    user.locator(".swa-image-input").set_input_files(fake)
    system = user.locator('.swa-msg[data-role="system"] .swa-bubble')
    expect(system.last).to_contain_text("仅支持发送 PNG、JPEG、GIF 或 WebP 格式的图片")

    # Once the chat is over, there is no image button any more.
    close_chat(pane)
    expect(image_button).to_be_hidden()
    assert not refused_on_console and not refused_on_user, (refused_on_console, refused_on_user)
