"""发布 on the real stack: a knowledge snapshot trained, gated, and served to the running Rasa
and action servers without a restart; a harmful one refused; then, in Chromium, a maintainer
sees why, rolls back, edits an answer in the studio and publishes it.

Its own stack (publishing changes what every later test would be answered), its own Redis
database. The publisher here is the service's class on the stack's SQL and Redis, as the
console's 发布 runs it; the stack's service serves the published model (from SQL) to its Rasa
server, which pulls it, and the action server reads the published snapshot from Redis.
"""

import asyncio
import json
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect
from redis.asyncio import Redis

from actions.faq import knowledge
from queue_service import db, session_keys
from queue_service.handoff.queue import HandoffQueue
from queue_service.outcomes import SessionJob
from queue_service.publishing.publisher import PublishConfig, Publisher
from queue_service.publishing.store import PublicationStore, State
from stack import publish
from stack.model import ensure_model
from tests.e2e.test_console_browser import PASSWORD, console_page, create_agent
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared
from tests.support.servers import RedisProcess
from tests.support.stack import Stack, started_stack
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e

ENTRY = "card_initial_password"  # 卡介质初始密码是多少？
NEW_ANSWER = "【测试】初始密码请以发卡时的密码信封为准（发布测试）。"
# A question the repository's model is not sure of (it offers 猜你想问) until the maintainer
# adds it as a phrasing of ENTRY, as from the inbox of unanswered questions.
# (Round 8 of issue 17 trained users' questions that made the model sure of "八个八是什么意思".)
NEW_PHRASING = "八个八到底指的啥"


def snapshot(edit=None) -> dict[str, str]:
    """The repository's knowledge base as files, one entry list edited by `edit`."""
    files = {
        path.relative_to(knowledge.KNOWLEDGE_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(knowledge.KNOWLEDGE_DIR.rglob("*.yml"))
        if "evaluation" not in path.parts
    }
    if edit is not None:
        edited = 0
        for name, text in files.items():
            if name.startswith("faq/"):
                entries = yaml.safe_load(text)
                if edit(entries):
                    files[name] = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
                    edited += 1
        assert edited, "the edit found nothing to change"
    return files


def with_new_answer(entries: list[dict]) -> bool:
    for entry in entries:
        if entry["id"] == ENTRY:
            entry["answer"] = NEW_ANSWER
            return True
    return False


def with_new_phrasing(entries: list[dict]) -> bool:
    changed = with_new_answer(entries)
    for entry in entries:
        if entry["id"] == ENTRY:
            entry["phrasings"].append(NEW_PHRASING)
    return changed


def scrambled(entries: list[dict]) -> bool:
    """Every entry of the file trained on its neighbour's phrasings: a maintainer's disaster."""
    if len(entries) < 3:
        return False
    phrasings = [e["phrasings"] for e in entries]
    for entry, taken in zip(entries, phrasings[1:] + phrasings[:1], strict=True):
        entry["phrasings"] = taken
    return True


def scrambled_snapshot() -> dict[str, str]:
    """The knowledge base with every file's entries scrambled where the loader still takes it:
    a scrambled file whose phrasings a subject check refuses (knowledge/subjects.yml: a
    traveller's parcel is not about tax rates) never reaches training, so it is left as it was;
    the rest is what the accuracy gate must refuse."""
    files = snapshot()
    for name, text in list(files.items()):
        if not name.startswith("faq/"):
            continue
        entries = yaml.safe_load(text)
        if not scrambled(entries):
            continue
        files[name] = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
        if not loads(files):
            files[name] = text
    assert files != snapshot(), "nothing could be scrambled"
    return files


def loads(files: dict[str, str]) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            knowledge.load(Path(folder))
        except ValueError:
            return False
    return True


async def ask(stack: Stack, text: str) -> str:
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "message", "text": text}))
        frame = json.loads(await ws.recv())
    return frame["messages"][0]["text"]


async def finished(store: PublicationStore, publication_id: int):
    for _ in range(1200):
        found = await store.get(publication_id)
        if found.state in (State.PUBLISHED, State.REFUSED, State.FAILED):
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"publication {publication_id} did not finish")


async def answered_by_model(stack: Stack, text: str, expected: str, timeout_s: float = 60) -> str:
    """Ask until the answer contains `expected` (the Rasa server pulls a new model within
    its pull interval, 5 s); the last answer."""
    answer = ""
    for _ in range(int(timeout_s)):
        answer = await ask(stack, text)
        if expected in answer:
            return answer
        await asyncio.sleep(1)
    return answer


@pytest.fixture(scope="module")
def own_stack(redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory):
    redis_url = redis_process.url.rsplit("/", 1)[0] + "/2"
    workdir = tmp_path_factory.mktemp("publishing")
    with started_stack(
        redis_url, workdir, SWA_PUBLISHED_MODELS_DIR=str(workdir / "service-models")
    ) as stack:
        yield stack


async def test_publish_and_gate_without_a_restart(own_stack: Stack):
    stack = own_stack
    engine = db.create_engine(stack.env["SWA_DATABASE_URL"])
    redis = Redis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    store = PublicationStore(db.session_factory(engine))
    # The service's folder: the inbox test below publishes the second snapshot's training data
    # again (another answer), which reuses the model trained here, as one publisher would.
    models = Path(stack.env["SWA_PUBLISHED_MODELS_DIR"])
    publisher = Publisher(store, redis, PublishConfig(models, ensure_model(), 0.02))
    rasa_pid, actions_pid = stack.procs["rasa"].pid, stack.procs["actions"].pid
    try:
        before = await ask(stack, "卡介质初始密码是多少")
        assert NEW_ANSWER not in before
        assert "卡介质初始密码" not in await ask(stack, NEW_PHRASING)

        # An answer edited: nothing new to learn, the repository's model is reused.
        first = await finished(store, await publisher.start(snapshot(with_new_answer), "kb-wang"))
        assert first.state is State.PUBLISHED, first
        assert first.evaluation["train_s"] == 0 and first.model == ensure_model().name
        assert NEW_ANSWER in await ask(stack, "卡介质初始密码是多少")

        # A phrasing added: trained, evaluated against the published model, pulled by Rasa.
        second = await finished(
            store, await publisher.start(snapshot(with_new_phrasing), "kb-wang")
        )
        assert second.state is State.PUBLISHED, second
        assert second.model != first.model and second.evaluation["baseline"] is not None
        # Both models' parses kept, for the next publish compared with either.
        asked = {question.text for question in publish.questions(knowledge.load())}
        for model in (first.model, second.model):
            assert publish.kept_parses(models, Path(model)).keys() == asked
        assert NEW_ANSWER in await answered_by_model(stack, NEW_PHRASING, NEW_ANSWER)

        # Phrasings scrambled across entries: refused, with the reason and what changed.
        third = await finished(store, await publisher.start(scrambled_snapshot(), "kb-li"))
        assert third.state is State.REFUSED, third
        assert any("准确率" in reason for reason in third.reasons)
        assert third.evaluation["changed_count"] > 20 and third.evaluation["changed"]
        assert not publish.parses_path(models, Path(third.model)).exists()
        assert (await store.published()).id == second.id
        assert NEW_ANSWER in await ask(stack, NEW_PHRASING)

        # Nothing restarted.
        assert (stack.procs["rasa"].pid, stack.procs["actions"].pid) == (rasa_pid, actions_pid)
        assert stack.procs["rasa"].poll() is None and stack.procs["actions"].poll() is None
    finally:
        await publisher.aclose()
        await redis.aclose()
        await engine.dispose()


def blocking(coroutine):
    """A coroutine's result from a sync (browser) test: pytest's loop runs in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


STUDIO_ANSWER = "【测试】初始密码为 88888888，领卡后请立即修改（知识库页面发布）。"


@pytest.mark.browser
def test_a_maintainer_sees_the_refusal_rolls_back_and_publishes(own_stack: Stack, browser) -> None:
    """After the test above: its last publish was refused, the second is online."""
    stack = own_stack
    maintainer = create_agent(stack, "--role", "maintainer", name="知识库小发")
    with console_page(stack, browser, 1440, 900) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{stack.service_url}/console/knowledge")
        page.fill("#kb-login-username", maintainer)
        page.fill("#kb-login-password", PASSWORD)
        page.locator(".swa-login-submit").click()
        # The refusal, with its reason and the questions it would have answered worse.
        expect(page.locator(".kb-publish-status")).to_contain_text("未通过评测")
        expect(page.locator(".kb-publish-reasons")).to_contain_text("问题识别准确率由")
        assert page.locator(".kb-publish-changed tr").count() > 5
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / "knowledge-publish-refused.png")

        # Rollback to the first publish: its answer, and the phrasing it did not know.
        page.locator(".kb-publish-history summary").click()
        published = page.locator(".kb-publication")
        expect(published).to_have_count(2)
        first = published.last
        first_id = int(first.get_attribute("data-id"))
        first.locator(".kb-publication-rollback").click()
        newest = page.locator(".kb-publication").first
        expect(newest).to_contain_text(f"回滚至第 {first_id} 次")
        expect(newest).to_contain_text("线上版本")
        assert NEW_ANSWER in blocking(ask(stack, "卡介质初始密码是多少"))
        reverted = blocking(answered_by_model(stack, NEW_PHRASING, "猜你想问"))
        assert NEW_ANSWER not in reverted

        # An answer edited in the studio and published from the page: online at once.
        page.locator(".kb-category-button", has_text="登录与卡介质").click()
        page.locator(f'.kb-entry-button[data-entry-id="{ENTRY}"]').click()
        page.fill(".kb-answer", STUDIO_ANSWER)
        page.locator(".kb-save").click()
        expect(page.locator(".kb-version")).to_have_text("第 2 版")
        page.locator(".kb-publish-start").click()
        # Published: one more version in the record, online (the page asks while it runs).
        expect(page.locator(".kb-publication")).to_have_count(4, timeout=300_000)
        expect(page.locator(".kb-publication").first).to_contain_text("线上版本")
        expect(page.locator(".kb-publish-status")).to_contain_text(f"（{maintainer}）：已发布")
        page.screenshot(path=SCREENSHOT_DIR / "knowledge-publish.png")
        assert STUDIO_ANSWER in blocking(ask(stack, "卡介质初始密码是多少"))


# Other users' sessions of the week (as the session job sums them), so the inbox has clusters
# to group: wordings with filler, punctuation and masked numbers.
OTHER_SESSIONS = [
    {
        "started_at": datetime.now(UTC) - timedelta(days=1),
        "channel": "webchat",
        "unanswered": {
            "not_understood:手机号138****5678收不到验证码": 4,
            "not_understood:请问手机收不到验证码怎么办？": 3,
            "out_of_scope:今天天气怎么样": 2,
        },
        "inbox": {
            "suggested:手机号 150****1111 一直收不到验证码": 2,
            "not_useful:报关单号223320231000999999状态怎么查询": 2,
            "handoff:请问报关单状态怎么查？": 1,
        },
    }
]


async def close_sessions(stack: Stack) -> int:
    """The stack's sessions closed now (as the service's round would after the gap): what the
    users asked reaches the daily sums the inbox reads; and other users' sessions added. The
    sessions written."""
    engine = db.create_engine(stack.env["SWA_DATABASE_URL"])
    redis = Redis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    try:
        job = SessionJob(db.session_factory(engine), redis, HandoffQueue(redis))
        later = datetime.now(UTC) + timedelta(hours=2)
        written = len((await job.round(later)).written)
        async with db.session_factory(engine)() as session, session.begin():
            await session_keys.add(session, OTHER_SESSIONS)
        return written
    finally:
        await redis.aclose()
        await engine.dispose()


@pytest.mark.browser
def test_a_question_from_the_inbox_is_answered_after_publishing(own_stack: Stack, browser) -> None:
    """After the tests above: the published model offers 猜你想问 for NEW_PHRASING, asked in
    the web chat by the tests above. A maintainer finds it in 未知问题, adds it as a phrasing
    of ENTRY, publishes (trained), and the web chat answers it with ENTRY, nothing restarted."""
    stack = own_stack
    pids = (stack.procs["rasa"].pid, stack.procs["actions"].pid, stack.procs["service"].pid)
    asked = blocking(answered_by_model(stack, NEW_PHRASING, "猜你想问"))
    assert "卡介质初始密码" not in asked
    assert blocking(close_sessions(stack)) > 0
    maintainer = create_agent(stack, "--role", "maintainer", name="知识库小收")
    with console_page(stack, browser, 1440, 900) as page:
        page.on("dialog", lambda dialog: dialog.accept())  # 发布's confirmation
        page.goto(f"{stack.service_url}/console/knowledge")
        page.fill("#kb-login-username", maintainer)
        page.fill("#kb-login-password", PASSWORD)
        page.locator(".swa-login-submit").click()
        page.locator(".kb-tab", has_text="未知问题").click()
        cluster = page.locator(".kb-inbox-cluster", has_text=NEW_PHRASING)
        expect(cluster).to_have_count(1)
        expect(cluster.locator(".kb-inbox-why").first).to_contain_text("猜你想问")
        # The model's three best guesses, from the Rasa server the service talks to.
        expect(cluster.locator(".kb-inbox-suggestion")).to_have_count(3)
        # Other questions grouped: the phone code's four wordings are one cluster, first.
        first = page.locator(".kb-inbox-cluster").first
        expect(first.locator(".kb-inbox-count")).to_have_text("9 次")
        expect(first.locator(".kb-inbox-questions li")).to_have_count(3)
        expect(page.locator(".kb-inbox-cluster")).to_have_count(4)
        expect(first.locator(".kb-inbox-suggestion")).to_have_count(3)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / "knowledge-inbox.png")

        cluster.locator(".kb-inbox-entry").fill(ENTRY)
        cluster.locator(".kb-inbox-add").click()
        expect(page.locator(".kb-notice")).to_contain_text(f"已将“{NEW_PHRASING}”添加为")
        expect(cluster).to_have_count(0)

        # The entry has it, as a new version.
        page.locator(".kb-tab", has_text="知识条目").click()
        page.locator(".kb-category-button", has_text="登录与卡介质").click()
        page.locator(f'.kb-entry-button[data-entry-id="{ENTRY}"]').click()
        expect(page.locator(".kb-phrasings")).to_have_value(re.compile(NEW_PHRASING))
        answer = page.locator(".kb-answer").input_value()

        expect(page.locator(".kb-publish-current")).to_contain_text("线上版本")
        published = page.locator(".kb-publication").count()
        page.locator(".kb-publish-start").click()
        # A phrasing added: trained, gated, published (the page asks while it runs).
        expect(page.locator(".kb-publication")).to_have_count(published + 1, timeout=600_000)
        expect(page.locator(".kb-publication").first).to_contain_text("线上版本")
    answered = blocking(answered_by_model(stack, NEW_PHRASING, answer[:20]))
    assert answer[:20] in answered
    now = (stack.procs["rasa"].pid, stack.procs["actions"].pid, stack.procs["service"].pid)
    assert now == pids
    assert all(p.poll() is None for p in stack.procs.values())
