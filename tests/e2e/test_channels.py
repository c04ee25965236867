"""WeChat and Telegram users through the real bot: FAQ browsing and answers, a self-service
query after binding, a handoff with the agent's replies, and the satisfaction prompt.

A second service process, beside the stack's, has both channels on: its WeChat callbacks are
signed as WeChat's servers sign them and its Telegram updates posted to the webhook with the
secret, and what it sends goes to the WeChat API and Bot API stand-ins. Rasa, the action
server, Redis and SQL are the stack's.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import httpx
import pytest
import redis.asyncio as aioredis

from actions.handoff import ASK_SKILL_TEXT
from kernel.claims import Identity, Kind, Source
from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import AccountStore
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.texts import COMMENTED_TEXT, RATE_TEXT, RATED_TEXT
from queue_service.identity.portal import PortalTokens
from queue_service.settings import Settings
from tests.support.telegram_standin import TOKEN as TELEGRAM_TOKEN
from tests.support.telegram_standin import TelegramApiStandIn, TelegramUser, telegram_api
from tests.support.wechat_standins import WeChatApiStandIn, WeChatSender, wechat_api

pytestmark = pytest.mark.e2e

WECHAT_TOKEN = "e2e-wechat-token"
TELEGRAM_SECRET = "e2e-telegram-secret"
PASSWORD = "channels password"
WANG = Identity(kind=Kind.PERSON, subject="person-demo-1", name="王小明", source=Source.PORTAL)
SETTLE_S = 0.8


@dataclass
class ChannelService:
    url: str
    wechat: WeChatApiStandIn
    telegram: TelegramApiStandIn
    database_url: str
    redis_url: str


@pytest.fixture(scope="module")
def channels(stack) -> Iterator[ChannelService]:
    with wechat_api() as wechat, telegram_api() as telegram:
        settings = {
            "SWA_WECHAT_TOKEN": WECHAT_TOKEN,
            "SWA_WECHAT_APPID": "wx00000000000000e2",
            "SWA_WECHAT_APPSECRET": "test-secret",
            "SWA_WECHAT_API_BASE": wechat.url,
            "SWA_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
            "SWA_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "SWA_TELEGRAM_WEBHOOK_URL": "https://swa.example.cn/channels/telegram/webhook",
            "SWA_TELEGRAM_API_BASE": telegram.url,
        }
        with stack.extra_service("channels-service", **settings) as url:
            yield ChannelService(
                url, wechat, telegram, stack.env["SWA_DATABASE_URL"], stack.env["SWA_REDIS_URL"]
            )


class WeChatUser:
    """A follower of the Official Account: what they send, and the texts they get back."""

    def __init__(self, service: ChannelService, openid: str) -> None:
        self._http = httpx.Client(base_url=service.url, timeout=30)
        self._api = service.wechat
        self._sender = WeChatSender(WECHAT_TOKEN)
        self.openid = openid
        self.conversation_id = f"wechat:{openid}"
        self.last = ""

    def _post(self, fields: dict) -> str:
        before = len(self.pushed())
        query, body = self._sender.callback(fields)
        response = self._http.post("/channels/wechat/callback", params=query, content=body)
        assert response.status_code == 200, response.text
        if response.text == "success":  # late: it comes by the customer-service API
            self.last = self.wait_pushed(before + 1)[-1]
        else:
            self.last = ElementTree.fromstring(response.text).findtext("Content") or ""
        return self.last

    def start(self) -> str:
        return self._post(self._sender.event(self.openid, "subscribe"))

    def say(self, text: str) -> str:
        return self._post(self._sender.text(self.openid, text))

    def options(self) -> list[str]:
        return re.findall(r"^\d+\. (.+)$", self.last, re.MULTILINE)

    def choose(self, title: str) -> str:
        """Reply with the number shown beside the option (an answer's own steps are numbered
        too, so the option is the last line with that title)."""
        numbers = re.findall(rf"^(\d+)\. {re.escape(title)}$", self.last, re.MULTILINE)
        assert numbers, f"{title!r} not offered in {self.last!r}"
        return self.say(numbers[-1])

    def pushed(self) -> list[str]:
        return self._api.texts(self.openid)

    def wait_pushed(self, count: int) -> list[str]:
        deadline = time.monotonic() + 20
        while len(self.pushed()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.pushed()) >= count, self.pushed()
        return self.pushed()


class TelegramChat:
    """A Telegram user in a private chat with the bot."""

    def __init__(self, service: ChannelService, chat_id: int) -> None:
        self._http = httpx.Client(base_url=service.url, timeout=30)
        self._api = service.telegram
        self._user = TelegramUser(chat_id)
        self.chat_id = chat_id
        self.conversation_id = f"telegram:{chat_id}"
        self.last = ""

    def _send(self, update: dict) -> str:
        """The texts of the messages the update was answered with, joined."""
        before = len(self.pushed())
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        response = self._http.post("/channels/telegram/webhook", json=update, headers=headers)
        assert response.status_code == 200, response.text
        self.wait_pushed(before + 1)
        # A turn may answer with several messages: wait until they stop coming.
        count = len(self.pushed())
        while True:
            time.sleep(SETTLE_S)
            if len(self.pushed()) == count:
                break
            count = len(self.pushed())
        self.last = "\n".join(self.pushed()[before:])
        return self.last

    def start(self) -> str:
        return self._send(self._user.text("/start"))

    def say(self, text: str) -> str:
        return self._send(self._user.text(text))

    def options(self) -> list[str]:
        return [button["text"] for button in self._api.last_keyboard(self.chat_id)]

    def choose(self, title: str) -> str:
        return self._send(self._user.press(self._api, title))

    def pushed(self) -> list[str]:
        return self._api.texts(self.chat_id)

    def wait_pushed(self, count: int) -> list[str]:
        return self._api.wait_for(count, self.chat_id, timeout_s=20)


def wait_seen(user: WeChatUser | TelegramChat, before: int, needle: str) -> str:
    """The first text (answered or pushed since ``before``) containing ``needle``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for text in [user.last, *user.pushed()[before:]]:
            if needle in text:
                return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not in {[user.last, *user.pushed()[before:]]}")


@pytest.fixture(params=["wechat", "telegram"])
def user(request, channels):
    if request.param == "wechat":
        return WeChatUser(channels, f"o-e2e-{time.monotonic_ns()}")
    return TelegramChat(channels, 800000 + time.monotonic_ns() % 100000)


def test_browse_the_faq_and_ask_in_words(user) -> None:
    assert "智能客服" in user.start()
    assert "登录与卡介质" in user.options()
    user.choose("登录与卡介质")
    questions = user.options()
    assert len(questions) >= 3
    answer = user.choose(questions[0])
    assert len(answer) > 20
    options = user.options()
    assert options[-3:] == ["有用", "没用", "没解决？转人工"]
    # 没用 as the channel offers it (a numbered option, an inline button): an apology and ways on.
    sorry = user.choose("没用")
    assert "抱歉这个回答没能帮到您" in sorry and "没解决？转人工" in user.options()
    assert "解锁" in user.say("法人卡被锁了怎么解锁")


def test_a_bound_user_gets_their_own_quota(user, channels) -> None:
    user.start()
    anonymous = user.say("我今年的跨境额度还剩多少")
    assert "剩余可用" not in anonymous and "查询我的数据" in user.options()
    token = PortalTokens(
        Settings().portal_jwt_secret.get_secret_value(), Settings().portal_issuer
    ).mint(WANG, 600)
    issued = httpx.post(
        f"{channels.url}/portal/api/bind-codes", headers={"Authorization": f"Bearer {token}"}
    )
    assert issued.status_code == 200, issued.text
    assert "王小明" in user.say(f"绑定 {issued.json()['code']}")
    answer = user.say("我今年的跨境额度还剩多少")
    assert "王小明，您 " in answer and "剩余可用" in answer
    # A list is numbered text with its buttons (numbered options, an inline keyboard); the
    # table the web chat draws instead is not shown here.
    listed = user.choose("我的通关记录")
    assert "1. 清单编号 " in listed and "第 1-5 条，共 " in listed
    assert "records" not in listed and "详情" not in listed
    options = user.options()
    assert "更多" in options and sum(o.endswith("明细") for o in options) == 5


async def _create_agent(database_url: str, username: str) -> None:
    engine = db.create_engine(database_url)
    try:
        await AccountStore(db.session_factory(engine)).create(
            username, "客服小秦", PASSWORD, skills=[Skill.DECLARATION], capacity=3
        )
    finally:
        await engine.dispose()


async def test_handoff_agent_reply_and_rating(user, channels) -> None:
    username = f"channels-agent-{time.monotonic_ns()}"
    await _create_agent(channels.database_url, username)
    async with httpx.AsyncClient(base_url=channels.url, timeout=30) as agent:
        login = {"username": username, "password": PASSWORD}
        assert (await agent.post("/console/api/login", json=login)).status_code == 200
        redis = aioredis.from_url(channels.redis_url, decode_responses=True)
        await HandoffQueue(redis).touch_presence(username, 120)  # as an open console does
        await redis.aclose()
        assert (await agent.put("/console/api/status", json={"status": "online"})).is_success
        try:
            user.start()
            assert ASK_SKILL_TEXT in user.say("转人工")
            before = len(user.pushed())
            user.choose("通关/货物申报")
            # Assigned at once: the agent's greeting comes by the relay, in the agent's name.
            assert wait_seen(user, before, "客服小秦：")
            before = len(user.pushed())
            reply = {"conversation_id": user.conversation_id, "text": "请提供报关单号。"}
            assert (await agent.post("/console/api/chats/reply", json=reply)).is_success
            assert wait_seen(user, before, "客服小秦：请提供报关单号。")
            before = len(user.pushed())
            close = {"conversation_id": user.conversation_id, "disposition": "resolved"}
            assert (await agent.post("/console/api/chats/close", json=close)).is_success
            user.last = wait_seen(user, before, RATE_TEXT)
            assert RATED_TEXT in user.choose("5 非常满意")
            assert COMMENTED_TEXT in user.say("回复很及时，谢谢")
        finally:
            await agent.put("/console/api/status", json={"status": "offline"})
