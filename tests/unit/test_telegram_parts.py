"""The Telegram channel's pieces that need no server: rendering, per-chat order, flood limits."""

import asyncio
import time

from telegram import Chat, Message, Update

from integrations.telegram.limiter import ChatRateLimiter
from integrations.telegram.ordering import PerChatOrder
from integrations.telegram.render import MAX_CHARS, render
from integrations.telegram.texts import BUTTONS_ONLY
from integrations.texts import CUT_NOTE
from kernel.messages import Button, OutboundMessage, Role


def test_render_names_agents_cuts_long_texts_and_skips_invisible_lines() -> None:
    lines = [
        OutboundMessage(role=Role.AGENT, text="您好", sender_name="客服小王"),
        OutboundMessage(text="长" * (MAX_CHARS + 10)),
        OutboundMessage(buttons=[Button(title="转人工", payload="/handoff")]),
        OutboundMessage(custom={"handoff": {"skill": "other"}}),
    ]
    agent, long, buttons_only = render(lines)
    assert agent.text == "客服小王：您好"
    assert len(long.text) == MAX_CHARS and long.text.endswith(CUT_NOTE)
    assert buttons_only.text == BUTTONS_ONLY
    assert buttons_only.buttons == [Button(title="转人工", payload="/handoff")]


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_updates_of_one_chat_run_in_order_and_chats_side_by_side() -> None:
    processor = PerChatOrder(max_concurrent_updates=8)
    events: list[str] = []

    async def work(name: str, delay_s: float) -> None:
        events.append(f"{name} start")
        await asyncio.sleep(delay_s)
        events.append(f"{name} end")

    async with processor:
        await asyncio.gather(
            processor.process_update(_update(1, 10), work("a1", 0.05)),
            processor.process_update(_update(2, 10), work("a2", 0.0)),
            processor.process_update(_update(3, 20), work("b1", 0.0)),
        )
    # a2 waits for a1 although it is quicker; b1 (another chat) does not wait for a1.
    assert events.index("a1 end") < events.index("a2 start")
    assert events.index("b1 end") < events.index("a1 end")
    assert processor._locks == {}  # no lock kept for idle chats


async def test_a_chat_gets_a_burst_then_waits_while_other_chats_do_not() -> None:
    limiter = ChatRateLimiter(chat_burst=2, chat_period_s=0.5)
    await limiter.initialize()
    sent: dict[int, list[float]] = {1: [], 2: []}

    async def send(chat_id: int) -> bool:
        sent[chat_id].append(time.monotonic())
        return True

    async def request(chat_id: int) -> None:
        data = {"chat_id": chat_id, "text": "x"}
        await limiter.process_request(send, (chat_id,), {}, "sendMessage", data, None)

    start = time.monotonic()
    await asyncio.gather(*(request(1) for _ in range(3)), request(2), request(2))
    await limiter.shutdown()
    first, _, third = sorted(t - start for t in sent[1])
    assert third - first >= 0.15  # the third message in the chat waited for the bucket
    assert max(t - start for t in sent[2]) < third  # the other chat was not held up
