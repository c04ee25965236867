"""A scripted day of conversations for the reports' tests, and the figures it must give.

`write_day` writes it through the service's own stores: transcript lines as the hub writes
them (the bot's events in the custom payload, as the action server marks replies; the handoff
desk's lines with their buttons), chats through ChatStore.open and .rate, messages through
TicketStore.create; then the session job (queue_service/outcomes.py) closes the sessions as in
production. Two things are set directly, because those stores stamp the present and the day is
in the past: a chat's close (time and disposition) and a ticket's creation time.

`expected` computes every figure from the script alone, without the report code or SQL.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from redis.asyncio import Redis
from sqlalchemy import update

from kernel import bot_events
from kernel.clock import CHINA_TZ
from kernel.messages import Button, OutboundMessage, Role
from kernel.skills import Skill
from queue_service import db
from queue_service.handoff import desk
from queue_service.handoff.chats import ChatStore
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.tickets import TicketStore
from queue_service.outcomes import SessionJob
from queue_service.transcripts import TranscriptStore

# A turn: what the user said and how the bot answered: ("answer", entry id),
# ("decline", reason), ("useful" or "not_useful", entry id) for the bot's reply to a 有用 /
# 没用 click, or None (no bot reply, e.g. a handoff request).
Turn = tuple[str, tuple[str, str] | None]


@dataclass
class Handoff:
    kind: str  # "chat", "abandon" (queued, then 取消排队 or gone), "message" (留言)
    skill: Skill
    agent: str = ""  # "x" or "y": replaced by real user names when written
    wait_s: int = 0
    handle_s: int = 0
    csat: int | None = None
    disposition: str = "resolved"


@dataclass
class Conversation:
    channel: str
    hour: int
    minute: int
    turns: list[Turn]
    handoff: Handoff | None = None
    # A second session of the same conversation, this many minutes later (a new visit).
    again_after_min: int = 0
    again: list[Turn] = field(default_factory=list)


ANSWER_A = "card_forgot_password"
ANSWER_B = "declare_entrust"
SCRIPT = [
    Conversation(
        "webchat",
        9,
        5,
        [
            ("卡密码忘了怎么办", ("answer", ANSWER_A)),
            ("有用", ("useful", ANSWER_A)),
            ("怎么委托报关", ("answer", ANSWER_B)),
        ],
    ),
    Conversation(
        "webchat",
        9,
        40,
        [
            ("讲个笑话", ("decline", "out_of_scope")),
            ("卡密码忘了", ("answer", ANSWER_A)),
            ("没用", ("not_useful", ANSWER_A)),
        ],
    ),
    Conversation(
        "wechat",
        10,
        15,
        [
            ("今天天气怎么样", ("decline", "out_of_scope")),
            ("那个东西", ("decline", "not_understood")),
        ],
    ),
    Conversation("wechat", 10, 20, [("讲个笑话", ("decline", "out_of_scope"))]),
    Conversation(
        "webchat",
        9,
        10,
        [("怎么委托报关", ("answer", ANSWER_B)), ("转人工", None)],
        Handoff("chat", Skill.DECLARATION, "x", 120, 600, 5),
    ),
    Conversation(
        "webchat", 10, 30, [("转人工", None)], Handoff("chat", Skill.ACCOUNT, "y", 300, 300, 3)
    ),
    Conversation(
        "wechat",
        14,
        5,
        [("转人工", None)],
        Handoff("chat", Skill.ACCOUNT, "x", 60, 900, None, "follow_up"),
    ),
    Conversation("webchat", 10, 45, [("转人工", None)], Handoff("abandon", Skill.CROSS_BORDER)),
    Conversation("webchat", 14, 20, [("人工客服", None)], Handoff("abandon", Skill.CROSS_BORDER)),
    Conversation("wechat", 15, 0, [("转人工", None)], Handoff("message", Skill.DECLARATION)),
    Conversation(
        "webchat",
        16,
        0,
        [
            ("卡密码忘了", ("answer", ANSWER_A)),
            ("有用", ("useful", ANSWER_A)),
            ("没用", ("not_useful", ANSWER_A)),  # changed their mind: the last verdict counts
        ],
        again_after_min=70,
        again=[("讲个笑话", ("decline", "out_of_scope"))],
    ),
]


def day_of(today: date) -> date:
    """The scripted day: far enough back that no other test writes on it."""
    return today - timedelta(days=20)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA_TZ).astimezone(UTC)


def _bot(event: tuple[str, str], at: datetime) -> OutboundMessage:
    kind, value = event
    if kind in ("useful", "not_useful"):
        details: dict = {"entry": value, "useful": kind == "useful"}
        kind = bot_events.FEEDBACK
    else:
        details = {"entry": value} if kind == bot_events.ANSWER else {"reason": value}
    message = bot_events.mark({"text": "机器人的回答"}, kind, **details)
    return OutboundMessage(
        role=Role.BOT, text=message["text"], custom=message["custom"], created_at=at
    )


def _turns(turns: list[Turn], start: datetime) -> tuple[list[OutboundMessage], datetime]:
    lines, at = [], start
    for text, event in turns:
        lines.append(OutboundMessage(role=Role.USER, text=text, created_at=at))
        if event:
            lines.append(_bot(event, at + timedelta(seconds=2)))
        at += timedelta(minutes=1)
    return lines, at


def _system(text: str, at: datetime, *buttons: Button) -> OutboundMessage:
    return OutboundMessage(role=Role.SYSTEM, text=text, buttons=list(buttons), created_at=at)


async def write_day(database_url: str, redis: Redis, day: date, agents: dict[str, str]) -> None:
    """The script on `day`, through the stores; `agents` maps "x", "y" to user names."""
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    transcript, chats, tickets = (
        TranscriptStore(sessions),
        ChatStore(sessions),
        TicketStore(sessions),
    )
    try:
        for c in SCRIPT:
            conversation_id = f"{c.channel}:{uuid.uuid4()}"
            lines, at = _turns(c.turns, _at(day, c.hour, c.minute))
            h = c.handoff
            if h and h.kind in ("chat", "abandon"):
                asked = at - timedelta(minutes=1)  # the last turn asked for a person
                lines.append(
                    _system(
                        "正在为您转接人工客服，请稍候。", asked + timedelta(seconds=1), desk.CANCEL
                    )
                )
                if h.kind == "abandon" and c.minute % 2:
                    lines.append(
                        OutboundMessage(
                            role=Role.USER,
                            text="取消排队",
                            created_at=asked + timedelta(seconds=40),
                        )
                    )
            if h and h.kind == "chat":
                assigned = asked + timedelta(seconds=h.wait_s)
                closed = assigned + timedelta(seconds=h.handle_s)
                agent = agents[h.agent]
                lines += [
                    OutboundMessage(
                        role=Role.AGENT,
                        text="您好，请讲。",
                        agent=agent,
                        created_at=assigned + timedelta(seconds=1),
                    ),
                    OutboundMessage(
                        role=Role.USER,
                        text="好的，谢谢",
                        agent=agent,
                        created_at=closed - timedelta(seconds=5),
                    ),
                ]
            if h and h.kind == "message":
                asked = at - timedelta(minutes=1)
                left = asked + timedelta(seconds=30)
                lines += [
                    _system(
                        "人工客服暂时不在，您可以留言。",
                        asked + timedelta(seconds=1),
                        desk.LEAVE_MESSAGE,
                    ),
                    OutboundMessage(
                        role=Role.USER, text="报关单打印不了，请联系我", created_at=left
                    ),
                ]
            # The chat and the ticket first: the service's own session round may run at any
            # moment, and a session is decided by what exists when it closes.
            if h and h.kind == "chat":
                ms = int(asked.timestamp() * 1000)
                chat = await chats.open(conversation_id, h.skill, agent, ms, ms + h.wait_s * 1000)
                async with sessions() as s, s.begin():
                    await s.execute(
                        update(db.Chat)
                        .where(db.Chat.id == chat.id)
                        .values(closed_at=closed, disposition=h.disposition)
                    )
                if h.csat is not None:
                    await chats.rate(chat.id, h.csat)
            if h and h.kind == "message":
                ticket = await tickets.create(
                    conversation_id, h.skill, "报关单打印不了", "13800000000"
                )
                async with sessions() as s, s.begin():
                    await s.execute(
                        update(db.Ticket).where(db.Ticket.id == ticket.id).values(created_at=left)
                    )
            await transcript.append(conversation_id, lines)
            if c.again:
                later, _ = _turns(c.again, at + timedelta(minutes=c.again_after_min))
                await transcript.append(conversation_id, later)
        # Closed as in production (the day is long past: every session of it is due now).
        await SessionJob(sessions, redis, HandoffQueue(redis)).round()
    finally:
        await engine.dispose()


@dataclass
class Figures:
    """What the reports must show for the day (all channels, or one)."""

    outcomes: Counter[str]
    sessions: int
    no_answer: int
    user_turns: int
    bot_turns: int
    entries: Counter[str]
    unanswered: Counter[str]
    queued_by_hour: Counter[int]
    abandoned_by_hour: Counter[int]
    waits_by_hour: dict[int, list[int]]
    agents: dict[str, list[Handoff]]
    skills: dict[str, list[Handoff]]
    useful: Counter[str] = field(default_factory=Counter)
    not_useful: Counter[str] = field(default_factory=Counter)
    handoff_after: Counter[str] = field(default_factory=Counter)


def expected(channel: str | None = None) -> Figures:
    f = Figures(Counter(), 0, 0, 0, 0, Counter(), Counter(), Counter(), Counter(), {}, {}, {})
    for c in SCRIPT:
        if channel and c.channel != channel:
            continue
        visits = [c.turns] + ([c.again] if c.again else [])
        for index, turns in enumerate(visits):
            f.sessions += 1
            declined = [t for t, e in turns if e and e[0] == "decline"]
            f.no_answer += bool(declined)
            f.unanswered.update(declined)
            f.entries.update(e[1] for _, e in turns if e and e[0] == "answer")
            verdicts = {e[1]: e[0] for _, e in turns if e and e[0] in ("useful", "not_useful")}
            for entry, verdict in verdicts.items():
                (f.useful if verdict == "useful" else f.not_useful)[entry] += 1
            f.user_turns += len(turns)
            f.bot_turns += sum(1 for _, e in turns if e)
            h = c.handoff if index == 0 else None
            answered = [e[1] for _, e in turns if e and e[0] == "answer"]
            if h and answered:
                f.handoff_after[answered[-1]] += 1
            if h and h.kind == "chat":
                f.user_turns += 1  # the user's line to the agent
            if h and h.kind == "abandon" and c.minute % 2:
                f.user_turns += 1  # 取消排队
            if h and h.kind == "message":
                f.user_turns += 1  # the message itself
            outcome = {
                None: "contained",
                "chat": "handed_off",
                "abandon": "abandoned",
                "message": "left_message",
            }[h.kind if h else None]
            f.outcomes[outcome] += 1
            if h and h.kind in ("chat", "abandon"):
                f.queued_by_hour[c.hour] += 1
                f.abandoned_by_hour[c.hour] += h.kind == "abandon"
            if h and h.kind == "chat":
                f.waits_by_hour.setdefault(c.hour, []).append(h.wait_s)
                f.agents.setdefault(h.agent, []).append(h)
                f.skills.setdefault(h.skill.value, []).append(h)
    return f


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _mean(values: list[float], digits: int = 1) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def expected_rows(day: date, names: dict[str, str], channel: str | None = None) -> dict:
    """Each table's rows for the day alone (period = that day, by day), from the script;
    `names` maps the script's agents ("x", "y") to their user names."""
    f = expected(channel)
    o = f.outcomes
    trend = [
        [
            day.isoformat(),
            f.sessions,
            f.user_turns,
            f.bot_turns,
            o["contained"],
            o["handed_off"],
            o["left_message"],
            o["abandoned"],
            f.no_answer,
            _pct(o["contained"], f.sessions),
            _pct(o["handed_off"], f.sessions),
            _pct(f.no_answer, f.sessions),
        ]
    ]
    total = sum(f.entries.values())
    ranked = sorted(f.entries.items(), key=lambda kv: (-kv[1], kv[0]))
    questions = [
        [i, e, n, _pct(n, total), f.handoff_after[e], _pct(f.handoff_after[e], n)]
        for i, (e, n) in enumerate(ranked, 1)
    ]
    rated = sorted(
        set(f.useful) | set(f.not_useful), key=lambda e: (-(f.useful[e] + f.not_useful[e]), e)
    )
    feedback = [
        [
            i,
            e,
            f.useful[e] + f.not_useful[e],
            f.useful[e],
            f.not_useful[e],
            _pct(f.useful[e], f.useful[e] + f.not_useful[e]),
        ]
        for i, e in enumerate(rated, 1)
    ]
    unanswered = sorted(f.unanswered.items(), key=lambda kv: (-kv[1], kv[0]))
    hours = []
    for h in range(24):
        waits = f.waits_by_hour.get(h, [])
        hours.append(
            [
                f"{h:02d}:00-{h + 1:02d}:00",
                f.queued_by_hour[h],
                f.abandoned_by_hour[h],
                _pct(f.abandoned_by_hour[h], f.queued_by_hour[h]),
                len(waits),
                _mean(waits),
                float(max(waits)) if waits else None,
            ]
        )

    def staff(handoffs: list[Handoff]) -> list:
        rated = [float(x.csat) for x in handoffs if x.csat is not None]
        return [
            len(handoffs),
            len(handoffs),
            _mean([x.handle_s for x in handoffs]),
            len(rated),
            _mean(rated, 2),
        ]

    def by_count(groups: dict[str, list[Handoff]]) -> list[tuple[str, list[Handoff]]]:
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    agents = sorted(
        ([names[k], *staff(v)] for k, v in f.agents.items()), key=lambda row: (-row[1], row[0])
    )
    return {
        "trend": trend,
        # Rows as the API has them less a column the script does not know (checked apart):
        # questions and feedback less the entry's title, unanswered less the reasons, agents
        # less the display name, skills less the skill's title.
        "questions": questions,
        "feedback": feedback,
        "unanswered": [[i, text, n] for i, (text, n) in enumerate(unanswered, 1)],
        "hours": hours,
        "agents": agents,
        "skills": [[k, *staff(v)] for k, v in by_count(f.skills)],
    }
