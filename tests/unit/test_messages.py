"""What the bot is sent: the bot's own button payloads as they are; typed text and anything a
client made up as text, never as an intent with entities (Rasa unpacks any "/intent{...}")."""

import pytest

from actions.buttons import HANDOFF_BUTTON, MENU_BUTTON
from actions.faq import knowledge, replies
from actions.handoff import skill_buttons
from actions.queries.period_form import CANCEL_BUTTON
from actions.queries.render import Query, payload
from integrations.wechat.menu import ENTRIES
from kernel import menu, payloads
from kernel.messages import InboundMessage, as_typed, is_bot_payload
from queue_service.handoff import desk


def bot_payloads() -> list[str]:
    kb = knowledge.default()
    category = kb.categories[0]
    conditions = {
        "page": "2",
        "period": "2026-11-01..2026-11-20",
        "status": "paid",
        "record_no": "110120261234567890",
        "year": "2026",
        "confirmed": "yes",
        "ask": "period",
    }
    return [
        payloads.GREET,
        payloads.HANDOFF,
        *(b.payload for b in (menu.FAQ_MENU, menu.QUERY_RECORDS, menu.HANDOFF)),
        CANCEL_BUTTON["payload"],
        HANDOFF_BUTTON["payload"],
        MENU_BUTTON["payload"],
        *(b["payload"] for b in replies.category_buttons(kb)),
        *(replies.entry_button(e)["payload"] for e in kb.entries),
        *(replies.plain_payload(e) for e in kb.entries),
        *(b["payload"] for b in replies.category_page(category, kb.entries, 0)["buttons"]),
        *(b["payload"] for b in skill_buttons()),
        *(payload(query) for query in Query),
        *(payload(query, **conditions) for query in Query),
        *(b.payload for b in (desk.CANCEL, desk.LEAVE_MESSAGE, desk.BACK_TO_BOT)),
        *(b.payload for b in desk.RATING_BUTTONS),
        *(b.payload for b in ENTRIES.values()),
    ]


def test_every_payload_the_bot_offers_reaches_it_unchanged() -> None:
    offered = bot_payloads()
    assert len(offered) > 40
    for sent in offered:
        assert is_bot_payload(sent), sent
        clicked = InboundMessage(conversation_id="webchat:x", text="按钮", payload=sent)
        assert clicked.for_bot == sent


@pytest.mark.parametrize(
    "forged",
    [
        "/query_records@0.99",
        '/query_records{"page":{"x":1}}',
        '/query_records{"page":["1"]}',
        '/query_records{"page":1.5}',
        '/query_records{"page":1000000000}',
        '/query_records{"page":null}',
        '/query_records{"page":"' + "9" * 65 + '"}',
        '/query_records{"page":"1\\n2"}',
        '/query_records{"Page":"1"}',
        '/query_records{"page":"1"',
        '/query_records{"page":"1"} more',
        "/query_records[1]",
        "/Query_records",
        " /greet",
        "//greet",
        "/",
        "/" + "a" * 65,
        "/q{" + ",".join(f'"k{n}":"v"' for n in range(11)) + "}",
    ],
)
def test_a_payload_not_shaped_like_the_bots_is_the_title_typed(forged: str) -> None:
    assert not is_bot_payload(forged)
    clicked = InboundMessage(conversation_id="webchat:x", text="我的税单", payload=forged)
    assert clicked.for_bot == "我的税单"


@pytest.mark.parametrize(
    ("typed", "bot_gets"),
    [
        ('/query_records{"page":"²"}', 'query_records{"page":"²"}'),
        ("  /handoff", "handoff"),
        ("/ /greet", "greet"),
        ("\u3000/greet", "greet"),
        ("///", "／"),
        ("/", "／"),
        ("报关单 /打印", "报关单 /打印"),
        ("你好", "你好"),
    ],
)
def test_typed_text_is_never_an_intent(typed: str, bot_gets: str) -> None:
    assert as_typed(typed) == bot_gets
    assert InboundMessage(conversation_id="wechat:o1", text=typed).for_bot == bot_gets


@pytest.mark.parametrize(
    "scalar", ['{"page":2}', '{"page":-1}', '{"confirmed":true}', '{"query":"tax_bills","page":3}']
)
def test_numbers_and_booleans_are_short_scalars_too(scalar: str) -> None:
    assert is_bot_payload("/query_records" + scalar)


def test_a_plain_text_payload_is_sent_as_text() -> None:
    quick_pick = InboundMessage(conversation_id="webchat:x", text="本周", payload="本周")
    assert quick_pick.for_bot == "本周"


def test_the_client_address_is_never_serialised() -> None:
    inbound = InboundMessage(conversation_id="webchat:x", text="你好", client="203.0.113.9")
    assert inbound.client == "203.0.113.9"
    assert "client" not in inbound.model_dump()
    assert "203.0.113.9" not in inbound.model_dump_json()


@pytest.mark.parametrize(
    ("typed", "bot_gets"),
    [
        ("自助查询", "/query_records"),
        (" 常见问题 ", "/faq_menu"),
        ("转人工！", "/handoff"),
        ("自助查询怎么用", "自助查询怎么用"),
        ("我要转人工客服", "我要转人工客服"),
    ],
)
def test_a_menu_title_typed_alone_is_that_button(typed: str, bot_gets: str) -> None:
    assert InboundMessage(conversation_id="webchat:x", text=typed).for_bot == bot_gets
