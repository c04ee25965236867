"""The knowledge studio in headless Chromium on the real stack: a maintainer logs in at the
console, is taken to 知识库维护, edits an answer (the channels' preview follows), is warned of a
phrasing that belongs to another entry, adds a new phrasing, saves, and finds both changes in
the entry's history; restoring the first version brings the imported text back.

The stack lives for the whole session and its SQL base is seeded from knowledge/ as it starts;
this test edits an entry no other browser test reads from SQL (the bot still answers from the
repository's files until publishing exists, issue 18 items 5-6)."""

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from actions.faq.knowledge import default
from queue_service import db, session_keys
from tests.e2e.test_console_browser import PASSWORD, console_page, create_agent
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ENTRY = "tip_reset"
NEW_ANSWER = "点击查询界面的“重置”按钮，即可清空已选条件和查询结果，然后重新选择条件查询。"
NEW_PHRASING = "查询条件怎么一键清空"
# A phrasing of another entry (login_card_steps): flagged before saving.
TAKEN = "卡介质登录步骤"


@pytest.fixture
def studio(stack, browser: Browser) -> Iterator[Page]:
    with console_page(stack, browser) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    """Into var/screenshots; docs/maintainer-guide.md shows copies of them (docs/screenshots)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / name)


def test_a_maintainer_edits_an_answer_adds_a_phrasing_and_sees_the_history(
    stack, studio: Page
) -> None:
    page = studio
    page.set_viewport_size({"width": 1440, "height": 900})
    maintainer = create_agent(stack, "--role", "maintainer", name="知识库小测")
    page.goto(f"{stack.service_url}/console")
    page.fill("#swa-login-username", maintainer)
    page.fill("#swa-login-password", PASSWORD)
    page.locator(".swa-login-submit").click()
    # A maintainer account has no agent desk: the console sends it to the studio.
    expect(page).to_have_url(f"{stack.service_url}/console/knowledge")
    expect(page.locator(".swa-me-name")).to_contain_text("知识库小测（知识库管理员）")
    expect(page.locator(".kb-category-button")).to_have_count(len(default().categories))

    page.locator(".kb-category-button", has_text="操作技巧").click()
    page.locator(f'.kb-entry-button[data-entry-id="{ENTRY}"]').click()
    expect(page.locator(".kb-version")).to_have_text("第 1 版")
    original = page.locator(".kb-answer").input_value()
    expect(page.locator(".kb-preview-wechat")).to_contain_text("【")
    _shot(page, "knowledge.png")

    page.fill(".kb-answer", NEW_ANSWER)
    # Every channel's preview shows the new text, WeChat with numbered options.
    expect(page.locator(".kb-preview-webchat")).to_contain_text(NEW_ANSWER)
    expect(page.locator(".kb-preview-wechat")).to_contain_text(NEW_ANSWER)
    expect(page.locator(".kb-preview-wechat")).to_contain_text("1. ")
    expect(page.locator(".kb-preview-telegram")).to_contain_text(NEW_ANSWER)

    phrasings = page.locator(".kb-phrasings")
    before = phrasings.input_value()
    phrasings.fill(before + "\n" + TAKEN)
    expect(page.locator(".kb-duplicates")).to_contain_text(
        f"“{TAKEN}”已是“卡介质登录怎么操作？”的问法"
    )
    _shot(page, "knowledge-duplicate.png")
    page.locator(".kb-save").click()
    expect(page.locator(".kb-error")).to_contain_text("以下问法已属于其他条目")
    expect(page.locator(".kb-version")).to_have_text("第 1 版")  # nothing was saved

    phrasings.fill(before + "\n" + NEW_PHRASING)
    expect(page.locator(".kb-duplicates")).to_be_hidden()
    page.locator(".kb-save").click()
    expect(page.locator(".kb-notice")).to_contain_text("已保存（第 2 版）")
    expect(page.locator(".kb-version")).to_have_text("第 2 版")

    page.locator(".kb-history-open").click()
    versions = page.locator(".kb-version-item")
    expect(versions).to_have_count(2)
    newest = versions.first
    expect(newest).to_contain_text("第 2 版")
    expect(newest).to_contain_text(maintainer)
    expect(newest.locator(".kb-added", has_text=NEW_PHRASING)).to_have_count(1)
    expect(newest.locator(".kb-added", has_text=NEW_ANSWER)).to_have_count(1)
    expect(versions.nth(1)).to_contain_text("导入")
    _shot(page, "knowledge-history.png")

    # The server has it too, as the maintainer's version 2.
    saved = page.request.get(f"{stack.service_url}/console/api/knowledge/entries/{ENTRY}").json()
    assert (saved["version"], saved["answer"]) == (2, NEW_ANSWER)
    assert saved["phrasings"][-1] == NEW_PHRASING

    page.once("dialog", lambda dialog: dialog.accept())
    versions.nth(1).locator(".kb-version-restore").click()
    expect(page.locator(".kb-notice")).to_contain_text("已恢复为第 1 版的内容（保存为第 3 版）")
    expect(page.locator(".kb-answer")).to_have_value(original)
    expect(page.locator(".kb-version-item")).to_have_count(3)

    # Meanwhile someone else saves a version 4: this page's save (on version 3) is refused,
    # says who and shows their answer, keeps what was typed, and loads theirs on request.
    theirs = "另一位管理员刚刚保存的答案。"
    api = f"{stack.service_url}/console/api/knowledge/entries/{ENTRY}"
    saved_elsewhere = page.request.put(api, data={"base_version": 3, "answer": theirs})
    assert saved_elsewhere.ok, saved_elsewhere.text()
    page.fill(".kb-title", "查询条件如何清空？")
    page.locator(".kb-save").click()
    conflict = page.locator(".kb-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text(f"该条目已被{maintainer}于")
    expect(conflict).to_contain_text("（当前为第 4 版），您的修改未保存。")
    expect(page.locator(".kb-conflict-answer")).to_have_text(theirs)
    expect(page.locator(".kb-title")).to_have_value("查询条件如何清空？")
    expect(page.locator(".kb-preview-webchat")).to_contain_text("【查询条件如何清空？】")
    _shot(page, "knowledge-conflict.png")
    page.locator(".kb-conflict-load").click()
    expect(page.locator(".kb-version")).to_have_text("第 4 版")
    expect(page.locator(".kb-answer")).to_have_value(theirs)
    expect(conflict).to_be_hidden()


# The inbox (未知问题): questions of the week as the session job sums them.
MAILING = ["电子口岸卡可以邮寄吗", "请问电子口岸卡能邮寄吗？"]
GREETING_CARD = "帮我写一段新年祝福语"


async def _asked_this_week(database_url: str) -> None:
    engine = db.create_engine(database_url)
    rows = [
        {
            "started_at": datetime.now(UTC) - timedelta(hours=3),
            "channel": "webchat",
            "unanswered": {f"not_understood:{MAILING[0]}": 3, f"out_of_scope:{GREETING_CARD}": 2},
            "inbox": {f"suggested:{MAILING[1]}": 2},
        }
    ]
    async with db.session_factory(engine)() as session, session.begin():
        await session_keys.add(session, rows)
    await engine.dispose()


def test_a_maintainer_creates_an_entry_and_an_out_of_scope_question_from_the_inbox(
    stack, studio: Page
) -> None:
    page = studio
    page.set_viewport_size({"width": 1440, "height": 900})
    with ThreadPoolExecutor(1) as pool:  # pytest's loop runs in this thread
        pool.submit(asyncio.run, _asked_this_week(stack.env["SWA_DATABASE_URL"])).result()
    maintainer = create_agent(stack, "--role", "maintainer", name="知识库小新")
    page.goto(f"{stack.service_url}/console/knowledge")
    page.fill("#kb-login-username", maintainer)
    page.fill("#kb-login-password", PASSWORD)
    page.locator(".swa-login-submit").click()
    page.locator(".kb-tab", has_text="未知问题").click()
    mailing = page.locator(".kb-inbox-cluster", has_text=MAILING[0])
    expect(mailing.locator(".kb-inbox-count")).to_have_text("5 次")
    expect(mailing.locator(".kb-inbox-questions li")).to_have_count(2)  # both wordings, one cluster

    # Out of scope: trained as a negative; the cluster leaves the inbox.
    greeting = page.locator(".kb-inbox-cluster", has_text=GREETING_CARD)
    greeting.locator(".kb-inbox-outside").click()
    expect(page.locator(".kb-notice")).to_contain_text("列为不在服务范围内的问题")
    expect(greeting).to_have_count(0)
    negatives = page.request.post(
        f"{stack.service_url}/console/api/knowledge/duplicates",
        data={"entry_id": None, "phrasings": [GREETING_CARD]},
        headers={"origin": stack.service_url},
    ).json()
    assert [d["entry_id"] for d in negatives if not d["model"]] == ["out_of_scope"]

    # A new entry, its phrasings filled from the cluster; saved, the cluster is handled.
    mailing.locator(".kb-inbox-create").click()
    expect(page.locator(".kb-editor")).to_be_visible()
    expect(page.locator(".kb-editor-title")).to_have_text("新建条目")
    phrasings = page.locator(".kb-phrasings")
    assert phrasings.input_value().split("\n") == MAILING
    more = [f"电子口岸卡邮寄问题{n}" for n in range(1, 9)]
    phrasings.fill("\n".join([*MAILING, *more]))
    page.fill(".kb-id", "card_mailing")
    page.select_option(".kb-category", "login")
    page.fill(".kb-title", "电子口岸卡可以邮寄吗？")
    page.fill(".kb-answer", "可以。请在制卡机构办理时选择邮寄到付，并填写收件地址。")
    page.fill(".kb-heldout", "口岸卡能寄到公司吗\n卡介质可以快递吗\n电子口岸卡邮寄怎么办理")
    page.locator(".kb-save").click()
    expect(page.locator(".kb-notice")).to_contain_text("已保存（第 1 版）")
    page.locator(".kb-tab", has_text="未知问题").click()
    expect(page.locator(".kb-inbox-summary")).not_to_have_text("正在加载……")
    expect(mailing).to_have_count(0)
    _shot(page, "knowledge-inbox-handled.png")
