"""Bot outcome statistics on real Redis and SQL (SQLite and PostgreSQL): scripted conversations
through the real service (web chat socket, hub, handoff desk, switchboard, console API), a Rasa
stand-in that answers as the action server's replies reach the hub, then the session job."""

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from actions.faq import replies
from actions.faq.actions import ActionAnswerFaq
from actions.faq.hot import HotQuestions
from kernel import bot_events
from kernel.messages import OutboundMessage, Role
from kernel.skills import SKILL_TITLES, Skill
from queue_service import db, session_keys
from queue_service.handoff import texts
from queue_service.outcomes import ROUND_LOCK, Outcome, SessionJob, bot_sessions
from queue_service.transcripts import TranscriptStore
from tests.faq_fixtures import parse, small_kb
from tests.integration.test_console_api import create_account, log_in, open_console
from tests.support.rasa_standins import recording_rasa
from tests.support.service import make_client, part
from tests.support.webchat import open_chat

KB = small_kb()


def as_rasa(message: dict) -> list[dict]:
    """An action's message as Rasa's REST channel sends it: the custom payload on its own."""
    shown = {k: v for k, v in message.items() if k in ("text", "buttons") and v}
    return [shown, {"custom": message["custom"]}] if message.get("custom") else [shown]


def answer(entry: str) -> list[dict]:
    return as_rasa(bot_events.mark(replies.answer(KB.entry(entry), KB), "answer", entry=entry))


DECLINE = as_rasa(bot_events.mark(replies.decline(), "decline", reason="out_of_scope"))
SUGGEST = as_rasa(
    bot_events.mark(
        replies.not_sure([KB.entry("card_unlock_legal"), KB.entry("card_password")]),
        "suggest",
        entries=["card_unlock_legal", "card_password"],
    )
)
QUOTA = '/query_records{"query":"quota"}'
QUERY = as_rasa(
    bot_events.mark({"text": "您 2026 年的额度还剩 26000 元。"}, "query", query="quota")
)


def verdict(entry: str, useful: bool) -> tuple[str, list[dict]]:
    """A 有用 / 没用 click under `entry`'s answer, and the action's reply to it."""
    button = replies.feedback_buttons(KB.entry(entry))[0 if useful else 1]
    reply = bot_events.mark(replies.feedback_reply(useful), "feedback", entry=entry, useful=useful)
    return button["payload"], as_rasa(reply)


USEFUL = verdict("card_unlock_legal", True)
NOT_USEFUL = verdict("card_unlock_legal", False)


def handoff(skill: Skill) -> str:
    return f'/handoff{{"handoff_skill":"{skill.value}"}}'


ANSWERS = {
    "法人卡锁了": answer("card_unlock_legal"),
    "讲个笑话": DECLINE,
    "那个东西怎么弄": SUGGEST,
    QUOTA: QUERY,
    USEFUL[0]: USEFUL[1],
    NOT_USEFUL[0]: NOT_USEFUL[1],
    **{handoff(s): [{"custom": {"handoff": {"skill": s.value}}}] for s in Skill},
}


def say(chat, text: str, payload: str | None = None) -> list[dict]:
    chat.send_json({"type": "message", "text": text, "payload": payload})
    return chat.receive_json()["messages"]


def conversation(chat) -> str:
    return "webchat:" + chat.receive_json()["conversation_id"]


def run(client, coroutine_function, *args):
    return client.portal.call(coroutine_function, *args)


async def rows_of(database_url: str, conversations: list[str]) -> list[dict]:
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            result = await session.execute(
                select(bot_sessions)
                .where(bot_sessions.c.conversation_id.in_(conversations))
                .order_by(bot_sessions.c.conversation_id, bot_sessions.c.started_at)
            )
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def row_count(database_url: str) -> int:
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            return await session.scalar(select(func.count()).select_from(bot_sessions))
    finally:
        await engine.dispose()


async def daily_answers(database_url: str) -> int:
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            table = session_keys.bot_daily_keys
            query = select(func.sum(table.c.n)).where(table.c.kind == session_keys.ANSWER)
            return await session.scalar(query) or 0
    finally:
        await engine.dispose()


async def session_answers(database_url: str) -> int:
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            entries = await session.scalars(select(bot_sessions.c.entries))
            return sum(sum(e.values()) for e in entries)
    finally:
        await engine.dispose()


async def append_old(database_url: str, conversation_id: str, lines: list[tuple]) -> None:
    """Lines written as the hub writes them, at times long past (role, minutes ago, custom)."""
    engine = db.create_engine(database_url)
    store = TranscriptStore(db.session_factory(engine))
    now = datetime.now(UTC)
    for role, minutes_ago, custom in lines:
        text = "问题" if role is Role.USER else "回答"
        message = OutboundMessage(
            role=role, text=text, custom=custom, created_at=now - timedelta(minutes=minutes_ago)
        )
        await store.append(conversation_id, [message])
    await engine.dispose()


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} not in /metrics")


@pytest.fixture
def service(redis_process, database_url):
    with (
        recording_rasa(answers=ANSWERS) as rasa,
        make_client(
            redis_process.url,
            database_url,
            rasa.url,
            service_hours="mon-sun 00:00-24:00",
            manual_skills="cross_border",
            session_round_s=3600,
        ) as client,
    ):
        client.portal.call(part(client, Redis).flushdb)
        yield client


def test_sessions_get_one_outcome_each_counted_once(service, database_url, redis_process) -> None:
    before = asyncio.run(row_count(database_url))
    wang = create_account(database_url, skills=(Skill.ACCOUNT, Skill.CROSS_BORDER))
    log_in(service, wang)
    assert service.put("/console/api/status", json={"status": "online"}).status_code == 200
    ids: dict[str, str] = {}
    with open_console(service):
        # Bot only: an answer, a decline, a 猜你想问 offer and a self-service query.
        with open_chat(service) as chat:
            ids["bot"] = conversation(chat)
            assert say(chat, "法人卡锁了")[0]["text"].startswith("【")
            assert say(chat, "讲个笑话")[0]["text"] == replies.DECLINE_TEXT
            assert say(chat, "那个东西怎么弄")[0]["text"] == replies.NOT_SURE_TEXT
            assert say(chat, "我的个人额度", QUOTA)[0]["text"].startswith("您 2026")
            # 有用, then 没用 on the same answer: the last verdict counts.
            assert say(chat, "有用", USEFUL[0])[0]["text"] == replies.USEFUL_THANKS_TEXT
            assert say(chat, "没用", NOT_USEFUL[0])[0]["text"] == replies.NOT_USEFUL_TEXT
        # Handed off: an answer, 转人工, an agent takes the user and closes the chat.
        with open_chat(service) as chat:
            ids["handed"] = conversation(chat)
            say(chat, "法人卡锁了")
            connecting = say(chat, "转人工", handoff(Skill.ACCOUNT))
            assert connecting[-1]["text"] == texts.CONNECTING_TEXT.format(
                skill=SKILL_TITLES[Skill.ACCOUNT]
            )
            assert chat.receive_json()["messages"][0]["role"] == "agent"
            closed = service.post(
                "/console/api/chats/close",
                json={"conversation_id": ids["handed"], "disposition": "resolved"},
            )
            assert closed.status_code == 200
            assert chat.receive_json()["messages"][0]["text"] == texts.RATE_TEXT
        # Abandoned: queued (agents pick this skill's users by hand), then 取消排队.
        with open_chat(service) as chat:
            ids["abandoned"] = conversation(chat)
            queued = say(chat, "转人工", handoff(Skill.CROSS_BORDER))
            assert queued[-1]["buttons"][0]["payload"] == "/cancel_queue"
            assert say(chat, "取消排队", "/cancel_queue")[0]["text"] == texts.CANCELLED_TEXT
        # A message left: nobody online serves declarations, so 留言 is offered and taken.
        with open_chat(service) as chat:
            ids["message"] = conversation(chat)
            offer = say(chat, "转人工", handoff(Skill.DECLARATION))
            assert offer[-1]["buttons"][0]["payload"] == "/leave_message"
            say(chat, "我要留言", "/leave_message")
            say(chat, "报关单打印不了，请联系我")
            done = say(chat, "13800138000")
            assert done[0]["text"].startswith("留言已提交")
        # Declined and nothing else; and a greeting nobody answered (no session of a user).
        with open_chat(service) as chat:
            ids["declined"] = conversation(chat)
            say(chat, "讲个笑话")
        with open_chat(service) as chat:
            ids["greeted"] = conversation(chat)
            chat.send_json({"type": "start"})
            chat.receive_json()
    # Two sessions of one conversation: an hour of silence between them.
    ids["split"] = f"webchat:{uuid.uuid4()}"
    answered = {bot_events.KEY: [{"kind": "answer", "entry": "card_password"}]}
    asyncio.run(
        append_old(
            database_url,
            ids["split"],
            [
                (Role.USER, 200, None),
                (Role.BOT, 200, answered),
                (Role.USER, 185, None),
                (Role.BOT, 185, answered),
                (Role.USER, 120, None),
                (Role.BOT, 120, None),
            ],
        )
    )

    job = part(service, SessionJob)
    # Due now: the old conversation's two sessions only (the live ones are still open).
    first = run(service, job.round)
    assert [
        (s.conversation_id, s.user_turns)
        for s in first.written
        if s.conversation_id in ids.values()
    ] == [
        (ids["split"], 2),
        (ids["split"], 1),
    ]
    later = datetime.now(UTC) + timedelta(hours=2)
    second = run(service, job.round, later)
    assert second.mark >= first.mark

    rows = asyncio.run(rows_of(database_url, list(ids.values())))
    by_id = {}
    for row in rows:
        by_id.setdefault(row["conversation_id"], []).append(row)
    assert ids["greeted"] not in by_id

    [bot] = by_id[ids["bot"]]
    assert (bot["outcome"], bot["channel"], bot["skill"]) == ("contained", "webchat", None)
    assert (bot["user_turns"], bot["bot_turns"]) == (6, 6)
    assert (bot["answers"], bot["declines"], bot["suggestions"], bot["queries"]) == (1, 1, 1, 1)
    assert bot["entries"] == {"card_unlock_legal": 1}
    assert bot["suggested"] == {"card_unlock_legal": 1, "card_password": 1}
    assert bot["unanswered"] == {"out_of_scope:讲个笑话": 1}  # the question declined
    # The studio's inbox: 猜你想问 offered, and the answer rated 没用 (its question).
    assert bot["inbox"] == {"suggested:那个东西怎么弄": 1, "not_useful:法人卡锁了": 1}
    assert bot["handoff_requested"] is False
    assert (bot["useful"], bot["not_useful"]) == (0, 1)
    assert bot["feedback"] == {"card_unlock_legal": [0, 1]}
    assert bot["handoff_after"] == {}

    [handed] = by_id[ids["handed"]]
    assert (handed["outcome"], handed["skill"], handed["answers"]) == ("handed_off", "account", 1)
    assert handed["chat_id"] is not None and handed["handoff_requested"] is True
    assert handed["queued"] is True
    # The answer given just before 转人工: the entry that did not settle it.
    assert handed["handoff_after"] == {"card_unlock_legal": 1}
    assert handed["inbox"] == {"handoff:法人卡锁了": 1}  # 转人工 right after the answer
    assert (handed["useful"], handed["not_useful"], handed["feedback"]) == (0, 0, {})

    [abandoned] = by_id[ids["abandoned"]]
    assert (abandoned["outcome"], abandoned["skill"], abandoned["bot_turns"]) == (
        "abandoned",
        None,
        0,
    )

    assert (abandoned["queued"], abandoned["handoff_requested"]) == (True, True)
    assert bot["queued"] is False

    [message] = by_id[ids["message"]]
    assert (message["queued"], message["handoff_requested"]) == (False, True)
    assert (message["outcome"], message["skill"]) == ("left_message", "declaration")
    assert message["ticket_id"] is not None

    [declined] = by_id[ids["declined"]]
    assert (declined["outcome"], declined["declines"], declined["answers"]) == ("contained", 1, 0)

    early, late = by_id[ids["split"]]
    assert (early["user_turns"], early["answers"], early["entries"]) == (2, 2, {"card_password": 2})
    assert (late["user_turns"], late["answers"], late["outcome"]) == (1, 0, "contained")
    assert late["started_at"] - early["ended_at"] > timedelta(minutes=30)

    # Again: nothing new; then a new session, closed by two service instances at once.
    assert run(service, job.round, later).written == []
    more = f"webchat:{uuid.uuid4()}"

    async def hold_round_lock() -> None:
        await part(service, Redis).set(ROUND_LOCK, 1, px=3_600_000)

    # The other instance's background round would race the rounds below (it may run at any
    # point after it starts): the interval's lock, held here, keeps it out.
    run(service, hold_round_lock)
    with (
        recording_rasa() as rasa,
        make_client(redis_process.url, database_url, rasa.url, session_round_s=3600) as other,
    ):
        assert run(other, part(other, SessionJob).round, later).written == []
        asyncio.run(
            append_old(database_url, more, [(Role.USER, 90, None), (Role.BOT, 90, answered)])
        )
        written = asyncio.run(row_count(database_url))
        jobs = [(service, job), (other, part(other, SessionJob))]
        results = [None, None]

        def both(index: int) -> None:
            client, each = jobs[index]
            results[index] = run(client, each.round, later)

        threads = [threading.Thread(target=both, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(r.written) for r in results) == [0, 1]
        assert run(other, part(other, SessionJob).round, later).written == []
    assert asyncio.run(row_count(database_url)) == written + 1
    assert len(asyncio.run(rows_of(database_url, [more]))) == 1
    # The reports' daily sums got every written session once, the raced one included.
    assert asyncio.run(daily_answers(database_url)) == asyncio.run(session_answers(database_url))

    # The counters: every session counted once, by the process that wrote it.
    total = asyncio.run(row_count(database_url)) - before
    scraped = service.get("/metrics").text
    counted = sum(
        metric(scraped, "swa_bot_sessions_total", outcome=o.value, channel=c)
        for o in Outcome
        for c in ("webchat", "wechat", "telegram")
    )
    assert counted == total
    for outcome in ("handed_off", "abandoned", "left_message"):
        assert metric(scraped, "swa_bot_sessions_total", outcome=outcome, channel="webchat") == 1
    assert metric(scraped, "swa_bot_answers_total", channel="webchat") >= 1 + 1 + 2 + 1
    assert metric(scraped, "swa_bot_declines_total", channel="webchat") >= 2
    assert metric(scraped, "swa_bot_suggestions_total", channel="webchat") >= 1
    assert metric(scraped, "swa_bot_queries_total", channel="webchat") >= 1
    assert metric(scraped, "swa_bot_turns_total", channel="webchat") >= 4 + 1 + 1 + 3 + 1
    assert metric(scraped, "swa_bot_sessions_total", outcome="contained", channel="wechat") == 0
    assert metric(scraped, "swa_bot_feedback_total", verdict="not_useful", channel="webchat") == 1
    assert metric(scraped, "swa_bot_feedback_total", verdict="useful", channel="webchat") == 0


async def test_the_actions_mark_what_each_reply_was(redis_client) -> None:
    """The action server's FAQ replies carry their events (kernel/bot_events.py)."""
    action = ActionAnswerFaq(KB, HotQuestions(redis_client))

    async def reply(message: dict, **slots) -> list[dict]:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        dispatcher = CollectingDispatcher()
        tracker = Tracker("webchat:t", slots, message, [], False, None, {}, "action_listen")
        await action.run(dispatcher, tracker, {})
        return [bot_events.events(m.get("custom")) for m in dispatcher.messages]

    assert await reply(parse("法人卡锁了", [("card_unlock_legal", 0.9)])) == [
        [{"kind": "answer", "entry": "card_unlock_legal"}]
    ]
    assert await reply(parse("讲个笑话", intent="out_of_scope")) == [
        [{"kind": "decline", "reason": "out_of_scope"}]
    ]
    unsure = parse("那个东西怎么弄", [("card_password", 0.1)], intent="nlu_fallback")
    [[suggested]] = await reply(unsure)
    assert suggested["kind"] == "suggest" and "card_password" in suggested["entries"]
    assert await reply(parse("明天下雨吗", intent="out_of_scope"), faq_failures=1.0) == [
        [{"kind": "decline", "reason": "gave_up"}]
    ]
    entities = [
        {"entity": "faq_entry", "value": "card_password"},
        {"entity": "faq_feedback", "value": "useful"},
    ]
    assert await reply(parse(USEFUL[0], entities=entities)) == [
        [{"kind": "feedback", "entry": "card_password", "useful": True}]
    ]


async def test_asking_for_a_person_is_marked_while_the_bot_asks_which_kind() -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.handoff import ActionHandoff

    dispatcher = CollectingDispatcher()
    tracker = Tracker("webchat:t", {}, {"text": "转人工"}, [], False, None, {}, "action_listen")
    await ActionHandoff().run(dispatcher, tracker, {})
    [asked] = dispatcher.messages
    assert bot_events.events(asked["custom"]) == [{"kind": "handoff"}]
    assert len(asked["buttons"]) == len(Skill)


async def test_no_session_closes_while_lines_wait_in_the_transcript_outbox(
    redis_client, database_url
) -> None:
    """Lines said while SQL failed are written later with their own times: the round waits."""
    from queue_service import transcript_outbox
    from queue_service.handoff.queue import HandoffQueue

    engine = db.create_engine(database_url)
    job = SessionJob(db.session_factory(engine), redis_client, HandoffQueue(redis_client))
    await job.round(datetime.now(UTC) + timedelta(hours=3))  # whatever earlier tests left
    conversation_id = f"webchat:{uuid.uuid4()}"
    await append_old(database_url, conversation_id, [(Role.USER, 100, None), (Role.BOT, 100, None)])
    later = datetime.now(UTC) + timedelta(hours=3)
    await redis_client.rpush(transcript_outbox.KEY, json.dumps({"conversation_id": "x"}))
    assert (await job.round(later)).written == []
    await redis_client.delete(transcript_outbox.KEY)
    [written] = (await job.round(later)).written
    assert (written.conversation_id, written.user_turns) == (conversation_id, 1)
    await engine.dispose()
