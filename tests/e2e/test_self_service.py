"""Self-service queries through the real Rasa server and action server, with the identity the
hub would sign (posted to Rasa's REST webhook as the hub does)."""

import json
import uuid
from datetime import datetime

import httpx
import pytest

from actions.faq import knowledge
from actions.records.demo import DEMO_ENTERPRISES, small
from actions.records.models import Declaration
from kernel.claims import Identity, Kind, Source
from kernel.clock import CHINA_TZ
from kernel.signing import sign
from queue_service.identity.portal import PortalTokens
from queue_service.rasa_client import from_replies
from queue_service.settings import Settings
from tests.e2e.test_chat import turn
from tests.support.identities import ACME_LEGAL_CARD, ALICE
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e

ACME = Identity(
    Kind.ENTERPRISE, DEMO_ENTERPRISES[0].id, "赵建国", Source.PORTAL, DEMO_ENTERPRISES[0].name
)
SECRET = Settings().identity_secret.get_secret_value()


class Chat:
    def __init__(self, rasa_url: str, identity: Identity | None) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = f"webchat:{uuid.uuid4()}"
        self.identity = identity

    def say(self, text: str) -> list[dict]:
        body: dict = {"sender": self.sender, "message": text}
        if self.identity:
            body["metadata"] = sign(self.identity, self.sender, SECRET)
        reply = httpx.post(self.url, json=body, timeout=30)
        reply.raise_for_status()
        # As the service reads Rasa's replies: a list's table (sent apart) back on the list.
        return [m.model_dump(mode="json") for m in from_replies(reply.json())]


def test_a_verified_consumer_asks_for_the_quota_in_words(stack) -> None:
    [answer] = Chat(stack.rasa_url, ALICE).say("我今年的跨境额度还剩多少")
    assert "王小明，您 " in answer["text"] and "剩余可用" in answer["text"]
    [anonymous] = Chat(stack.rasa_url, None).say("我今年的跨境额度还剩多少")
    assert "剩余可用" not in anonymous["text"]
    assert "查询我的数据" in [b["title"] for b in anonymous["buttons"]]


async def test_a_consumer_logged_in_on_the_portal_asks_in_the_web_chat(stack) -> None:
    """The whole path: portal token -> web chat socket -> hub signs -> Rasa -> action."""
    settings = Settings()
    tokens = PortalTokens(settings.portal_jwt_secret.get_secret_value(), settings.portal_issuer)
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()  # session
        await ws.send(json.dumps({"type": "auth", "token": tokens.mint(ALICE, 600)}))
        verified = json.loads(await ws.recv())
        assert verified["type"] == "identity" and verified["identity"]["name"] == "王小明"
        await ws.send(json.dumps({"type": "message", "text": "我今年的跨境额度还剩多少"}))
        reply = json.loads(await ws.recv())
    [answer] = reply["messages"]
    assert "王小明，您 " in answer["text"] and "剩余可用" in answer["text"]


async def test_a_logged_in_consumer_is_greeted_by_name_and_sees_their_records_as_a_table(
    stack,
) -> None:
    """Portal token first, then the new conversation's greeting: the bot knows whom it greets."""
    settings = Settings()
    tokens = PortalTokens(settings.portal_jwt_secret.get_secret_value(), settings.portal_issuer)
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()  # session
        await ws.send(json.dumps({"type": "auth", "token": tokens.mint(ALICE, 600)}))
        assert json.loads(await ws.recv())["type"] == "identity"
        [greeting] = await turn(ws, {"type": "start"})
        assert greeting["text"].startswith("王小明，") and "好！" in greeting["text"]
        shortcuts = {b["title"]: b["payload"] for b in greeting["buttons"]}
        assert list(shortcuts)[:3] == ["我的个人额度", "我的通关记录", "我的税单"]
        # The hot-question categories as well, after them.
        assert list(shortcuts)[3:] == [c.title for c in knowledge.default().categories]

        [listed] = await turn(
            ws, {"type": "message", "text": "我的通关记录", "payload": shortcuts["我的通关记录"]}
        )
    # The text and buttons WeChat and Telegram show, and the table the web chat draws.
    assert listed["text"].startswith("您的跨境电商通关记录，")
    table = listed["custom"]["records"]
    assert table["columns"][0] == "清单编号" and 1 <= len(table["rows"]) <= 5
    payloads = [b["payload"] for b in listed["buttons"]]
    for row in table["rows"]:
        assert row["cells"][0] in listed["text"]
        assert row["action"]["title"] == "详情" and row["action"]["payload"] in payloads
    assert table["pager"] in listed["text"].splitlines()[0]


def test_an_enterprise_user_is_greeted_with_the_enterprise_queries(stack) -> None:
    [greeting] = Chat(stack.rasa_url, ACME).say("/greet")
    assert greeting["text"].startswith("赵建国，") and ACME.enterprise_name in greeting["text"]
    titles = [b["title"] for b in greeting["buttons"]]
    assert titles[:4] == ["自助打印申请", "数据导出申请", "车辆备案", "提交货预约"]
    [anonymous] = Chat(stack.rasa_url, None).say("/greet")
    assert "您好，我是单一窗口智能客服" in anonymous["text"] and "赵建国" not in anonymous["text"]
    assert "自助打印申请" not in [b["title"] for b in anonymous["buttons"]]


def test_an_enterprise_applies_for_a_print_through_the_form(stack) -> None:
    [refused] = Chat(stack.rasa_url, ACME).say('/query_records{"query":"apply_print"}')
    assert "法人卡" in refused["text"] and "卡介质验证" in refused["text"]
    chat = Chat(stack.rasa_url, ACME_LEGAL_CARD)
    [menu] = chat.say("自助查询")
    prints = next(b for b in menu["buttons"] if b["title"] == "自助打印申请")
    [listed] = chat.say(prints["payload"])
    apply = next(b for b in listed["buttons"] if b["title"] == "申请自助打印")
    # The stack seeded today's demo data: a declaration of ACME's that can be printed.
    declarations = small(datetime.now(CHINA_TZ).date()).tables[Declaration]
    entry_no = next(
        d["entry_no"]
        for d in declarations
        if d["enterprise_id"] == ACME.subject and d["cleared_on"] and not d["legacy"]
    )

    [ask_numbers] = chat.say(apply["payload"])
    assert "18 位" in ask_numbers["text"]
    [wrong] = chat.say("12345")[:1]
    assert "不是 18 位" in wrong["text"]
    [ask_signature] = chat.say(f"{entry_no}，000000000000000000")
    assert [b["title"] for b in ask_signature["buttons"]] == ["有签章", "无签章", "取消"]
    [done] = chat.say("无签章")
    assert done["text"].startswith("已提交自助打印申请（无签章），申请编号 DY")
    assert f"{entry_no}：制作中" in done["text"]
    assert "未申请：000000000000000000" in done["text"]


def test_cancel_leaves_the_form_and_the_bot_answers_again(stack) -> None:
    chat = Chat(stack.rasa_url, ACME_LEGAL_CARD)
    chat.say('/query_records{"query":"apply_export"}')
    [cancelled] = chat.say("算了不申请了")
    assert cancelled["text"].startswith("好的，已取消")
    [answer] = chat.say("卡介质初始密码是多少")
    assert "报关单号" not in answer["text"]


def test_a_consumer_picks_dates_through_the_date_form(stack) -> None:
    chat = Chat(stack.rasa_url, ALICE)
    [bills] = chat.say('/query_records{"query":"tax_bills"}')
    by_date = next(b for b in bills["buttons"] if b["title"] == "按日期查询")
    [ask] = chat.say(by_date["payload"])
    assert "最长 3 个月" in ask["text"]
    assert [b["title"] for b in ask["buttons"]] == ["当天", "本周", "本月", "三个月", "取消"]
    too_long, ask_again = chat.say("2025-01-01 至 2025-12-31")
    assert "不能超过 3 个月" in too_long["text"] and "最长 3 个月" in ask_again["text"]
    [listed] = chat.say("2025-01-01 至 2025-03-31")
    assert "（2025-01-01 至 2025-03-31）" in listed["text"] or "没有查到税单" in listed["text"]
    [answer] = chat.say("卡介质初始密码是多少")  # the form is over: the bot answers again
    assert "最长 3 个月" not in answer["text"]
