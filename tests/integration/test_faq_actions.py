"""The FAQ actions against a real Redis: answers, failures, menus and hot-question ranking."""

from datetime import date, datetime, timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.entities import BAD_PAGE
from actions.faq import lookup, replies
from actions.faq.actions import ActionAnswerFaq, ActionFaqMenu
from actions.faq.hot import BUCKET_TTL_SECONDS, HotQuestions, bucket
from actions.faq.understanding import ANSWER_THRESHOLD
from kernel.clock import CHINA_TZ
from tests.faq_fixtures import parse, small_kb
from tests.support.rasa_standins import closed_port_url

KB = small_kb()
TODAY = date(2026, 11, 23)


def clock() -> datetime:
    return datetime(2026, 11, 23, 10, 0, tzinfo=CHINA_TZ)


def tracker(message: dict, **slots) -> Tracker:
    return Tracker(
        sender_id="webchat:test",
        slots=slots,
        latest_message=message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def hot(redis_client) -> HotQuestions:
    return HotQuestions(redis_client)


async def run(action, message: dict, **slots) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(message, **slots), {})
    return dispatcher.messages, events


def slot_values(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_answer_has_related_questions_and_handoff_and_is_counted(hot, redis_client) -> None:
    action = ActionAnswerFaq(KB, hot, clock)
    messages, events = await run(
        action, parse("法人卡锁了", [("card_unlock_legal", 0.9)]), faq_failures=1.0
    )
    assert messages[0]["text"] == replies.answer_text(KB.entry("card_unlock_legal"))
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "操作员卡锁了怎么解锁？",
        "卡介质初始密码是多少？",
        "有用",
        "没用",
        "没解决？转人工",
    ]
    assert messages[0]["buttons"][0]["payload"] == '/faq{"faq_entry":"card_unlock_operator"}'
    assert messages[0]["buttons"][2]["payload"] == (
        '/faq{"faq_entry":"card_unlock_legal","faq_feedback":"useful"}'
    )
    assert slot_values(events) == {"faq_last_entry": "card_unlock_legal", "faq_failures": 0.0}
    assert await redis_client.zscore(bucket(TODAY), "card_unlock_legal") == 1
    assert 0 < await redis_client.ttl(bucket(TODAY)) <= BUCKET_TTL_SECONDS


async def test_an_unsure_answer_also_offers_the_next_closest_questions(hot) -> None:
    """Issue 17, third round: below OFFER_MORE_BELOW the answer is given with 猜你想问 under it."""
    action = ActionAnswerFaq(KB, hot, clock)
    ranking = [("card_unlock_legal", 0.7), ("card_password", 0.2), ("cbec_quota", 0.1)]
    messages, _ = await run(action, parse("卡锁了", ranking))
    text = messages[0]["text"]
    assert text.startswith(replies.answer_text(KB.entry("card_unlock_legal")))
    assert text.endswith(replies.ALSO_TEXT)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[:2] == [KB.entry("card_password").title, KB.entry("cbec_quota").title]
    assert titles.count(KB.entry("card_password").title) == 1  # not again among the related
    assert titles[-3:] == ["有用", "没用", "没解决？转人工"]


async def test_an_email_address_is_taken_as_a_contact(hot) -> None:
    action = ActionAnswerFaq(KB, hot, clock)
    messages, _ = await run(action, parse("wang.ming@example.com", [("cbec_quota", 0.9)]))
    assert messages[0]["text"] == lookup.EMAIL_TEXT


async def test_a_demand_to_escalate_is_acknowledged_with_a_person_first(hot) -> None:
    """Fifth round: "我要找领导" is a complaint no entry answers: an apology, 转人工 first."""
    action = ActionAnswerFaq(KB, hot, clock)
    messages, events = await run(action, parse("我要找你们领导", [("cbec_quota", 0.9)]))
    assert [m["text"] for m in messages] == [replies.ESCALATION_TEXT]
    assert messages[0]["buttons"][0] == replies.HANDOFF_BUTTON
    assert slot_values(events).get("faq_failures") in (None, 0.0)
    [plain], _ = await run(action, parse("无语", [("cbec_quota", 0.9)]))
    assert plain["text"] == replies.COMPLAINT_ONLY_TEXT


def feedback_click(entry: str, verdict: str) -> dict:
    values = {"faq_entry": entry, "faq_feedback": verdict}
    return parse(
        replies.feedback_buttons(KB.entry(entry))[0]["payload"],
        entities=[{"entity": name, "value": value} for name, value in values.items()],
    )


async def test_useful_is_thanked_and_marked_for_the_statistics(hot) -> None:
    action = ActionAnswerFaq(KB, hot, clock)
    messages, events = await run(action, feedback_click("card_password", "useful"))
    assert messages == [
        {
            **messages[0],
            "text": replies.USEFUL_THANKS_TEXT,
            "custom": {
                "bot_events": [{"kind": "feedback", "entry": "card_password", "useful": True}]
            },
        }
    ]
    # Not an answer: the entry answered last and the misses in a row stay as they were.
    assert events == []


async def test_not_useful_apologises_and_offers_the_ways_on(hot) -> None:
    messages, _ = await run(
        ActionAnswerFaq(KB, hot, clock), feedback_click("card_password", "not_useful")
    )
    assert messages[0]["text"] == replies.NOT_USEFUL_TEXT
    assert messages[0]["buttons"] == [replies.MENU_BUTTON, replies.HANDOFF_BUTTON]
    assert messages[0]["custom"]["bot_events"] == [
        {"kind": "feedback", "entry": "card_password", "useful": False}
    ]


async def test_feedback_typed_as_the_buttons_title_counts_as_the_click(hot) -> None:
    """WeChat and Telegram users type what they read: "没用" under an answer is that button."""
    answer = replies.answer(KB.entry("card_password"), KB)
    message = parse("没用", [("card_password", 0.2)], intent="nlu_fallback")
    dispatcher = CollectingDispatcher()
    typed = tracker(message)
    typed.events = [
        {"event": "bot", "text": answer["text"], "data": {"buttons": answer["buttons"]}}
    ]
    await ActionAnswerFaq(KB, hot, clock).run(dispatcher, typed, {})
    assert dispatcher.messages[0]["custom"]["bot_events"] == [
        {"kind": "feedback", "entry": "card_password", "useful": False}
    ]


async def test_an_unknown_verdict_is_no_feedback(hot) -> None:
    messages, _ = await run(
        ActionAnswerFaq(KB, hot, clock), feedback_click("card_password", "maybe")
    )
    assert all(
        e["kind"] != "feedback" for m in messages for e in m.get("custom", {}).get("bot_events", [])
    )


async def test_follow_up_uses_the_previous_answer(hot) -> None:
    action = ActionAnswerFaq(KB, hot, clock)
    messages, events = await run(
        action, parse("那操作员卡呢", [], intent="nlu_fallback"), faq_last_entry="card_unlock_legal"
    )
    assert messages[0]["text"] == replies.answer_text(KB.entry("card_unlock_operator"))
    assert slot_values(events)["faq_last_entry"] == "card_unlock_operator"


async def test_two_failures_in_a_row_offer_a_human(hot) -> None:
    action = ActionAnswerFaq(KB, hot, clock)
    unsure = parse(
        "那个东西怎么弄", [("card_password", ANSWER_THRESHOLD / 2)], intent="nlu_fallback"
    )
    messages, events = await run(action, unsure)
    assert messages[0]["text"] == replies.NOT_SURE_TEXT
    assert messages[0]["buttons"][-1] == replies.HANDOFF_BUTTON
    assert slot_values(events) == {"faq_failures": 1.0}

    outside = parse("明天下雨吗", intent="out_of_scope")
    messages, events = await run(action, outside, faq_failures=1.0)
    assert messages[0]["text"] == replies.OFFER_HUMAN_TEXT
    assert messages[0]["buttons"][0] == replies.HANDOFF_BUTTON
    assert slot_values(events) == {"faq_failures": 0.0}


async def test_out_of_scope_is_declined_politely(hot) -> None:
    messages, _ = await run(
        ActionAnswerFaq(KB, hot, clock), parse("讲个笑话", intent="out_of_scope")
    )
    assert messages[0]["text"] == replies.DECLINE_TEXT
    assert "跨境电商" in messages[0]["text"]


async def test_menu_lists_categories_then_hot_questions_by_recent_asks(hot) -> None:
    menu = ActionFaqMenu(KB, hot, clock)
    messages, _ = await run(menu, parse("常见问题", intent="faq_menu"))
    assert [b["title"] for b in messages[0]["buttons"]] == ["登录与卡介质", "跨境电商"]
    assert messages[0]["buttons"][0]["payload"] == '/faq_menu{"faq_category":"login"}'

    # Asks inside the 7-day window rank; an older bucket no longer counts.
    await hot.record("card_password", TODAY)
    await hot.record("card_password", TODAY - timedelta(days=6))
    await hot.record("card_unlock_operator", TODAY - timedelta(days=1))
    for _ in range(5):
        await hot.record("card_unlock_legal", TODAY - timedelta(days=7))
    login = parse(
        "/faq_menu", intent="faq_menu", entities=[{"entity": "faq_category", "value": "login"}]
    )
    messages, _ = await run(menu, login)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == [
        "卡介质初始密码是多少？",
        "操作员卡锁了怎么解锁？",
        "法人卡锁了怎么解锁？",
        "返回问题类别",
    ]


async def test_redis_down_costs_the_ranking_not_the_answer() -> None:
    from redis.asyncio import Redis

    dead = HotQuestions(
        Redis.from_url(closed_port_url().replace("http", "redis"), socket_connect_timeout=0.2)
    )
    messages, _ = await run(
        ActionAnswerFaq(KB, dead, clock), parse("初始密码", [("card_password", 0.9)])
    )
    assert messages[0]["text"] == replies.answer_text(KB.entry("card_password"))
    login = parse(
        "/faq_menu", intent="faq_menu", entities=[{"entity": "faq_category", "value": "login"}]
    )
    messages, _ = await run(ActionFaqMenu(KB, dead, clock), login)
    assert [b["title"] for b in messages[0]["buttons"]][:3] == [
        "法人卡锁了怎么解锁？",
        "操作员卡锁了怎么解锁？",
        "卡介质初始密码是多少？",
    ]


def test_category_pages() -> None:
    entries = list(KB.entries) * 4  # 20 buttons
    page = replies.category_page(KB.categories[0], entries, 1)
    assert len(page["buttons"]) == replies.PAGE_SIZE + 2
    assert page["buttons"][-2]["payload"] == '/faq_menu{"faq_category":"login","faq_page":"2"}'
    last = replies.category_page(KB.categories[0], entries, 9)
    assert "（第 3/3 页）" in last["text"] and last["buttons"][-1]["title"] == "返回问题类别"
    assert len(last["buttons"]) == 4 + 1


@pytest.mark.parametrize("page", ["²", "0", "-1", "9" * 5000, "1.5", ["2"], {"page": 2}, True])
async def test_a_malformed_page_gets_the_categories_again(hot, page) -> None:
    """A crafted `/faq_menu{"faq_category":"login","faq_page":"²"}` is answered, not crashed on."""
    asked = parse(
        "/faq_menu",
        intent="faq_menu",
        entities=[
            {"entity": "faq_category", "value": "login"},
            {"entity": "faq_page", "value": page},
        ],
    )
    messages, events = await run(ActionFaqMenu(KB, hot, clock), asked)
    assert events == []
    assert messages[0]["text"] == f"{BAD_PAGE}\n{replies.MENU_TEXT}"
    assert [b["title"] for b in messages[0]["buttons"]] == ["登录与卡介质", "跨境电商"]


@pytest.mark.parametrize(
    "slots",
    [
        {"faq_failures": "x", "faq_last_entry": ["card_password"]},
        {"faq_failures": float("inf"), "faq_last_entry": {"id": "card_password"}},
        {"faq_failures": float("nan"), "faq_last_entry": 7},
        {"faq_failures": [1], "faq_last_entry": None},
    ],
)
async def test_slots_holding_something_else_are_taken_as_unset(hot, slots) -> None:
    messages, events = await run(ActionAnswerFaq(KB, hot, clock), parse("嗯", []), **slots)
    # The first miss (a counter that is no count starts again), with no previous entry.
    assert messages[0]["text"] == replies.REPHRASE_TEXT
    assert slot_values(events) == {"faq_failures": 1.0}
