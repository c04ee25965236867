"""The agent's side of a handoff: assignment, messages both ways, close, and dropped agents.

The conversation's transitions decide atomically who serves whom (queue_service/handoff/
phases.py); the switchboard does what follows from them: opens the chat's SQL row, tells the
user and the agent, carries messages between them over the bus (they may be connected to
different service processes), and when a chat ends (the close puts the user in the rating
phase) sends the rating prompt. Every line goes to the transcript before it is published, so
whoever reconnects finds it there.

Topics (queue_service/topics.py): ``conv:<conversation id>`` reaches the user's channel,
``agent:<user name>`` the agent's consoles, ``console`` every console (the waiting lists
changed), ``watch:<conversation id>`` supervisors listening in (every line of the chat).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from redis.asyncio import Redis

from kernel.messages import OutboundMessage, Role, StoredMessage
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import AccountStore
from queue_service.bus import Bus
from queue_service.handoff import texts
from queue_service.handoff.chats import Chat, ChatStore, Disposition
from queue_service.handoff.desk import CANCEL, rating_prompt
from queue_service.handoff.phases import PREFIX, Assignment, Conversation, Phase
from queue_service.handoff.queue import HandoffQueue
from queue_service.topics import CONSOLE_TOPIC, agent_topic, user_topic, watch_topic
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

# Position updates are sent at most this often per skill, and only to users whose place changed.
POSITION_DEBOUNCE_S = 2.0

def _system(text: str, *, agent: str | None = None, buttons=()) -> OutboundMessage:
    return OutboundMessage(role=Role.SYSTEM, text=text, agent=agent, buttons=list(buttons))


class NotYourChat(LookupError):
    """The agent is not serving this user (any more)."""


class TakeOverRefused(LookupError):
    """The user is not with an agent (any more), or already with this supervisor."""


class Switchboard:
    def __init__(
        self,
        redis: Redis,
        bus: Bus,
        queue: HandoffQueue,
        chats: ChatStore,
        accounts: AccountStore,
        transcripts: TranscriptStore,
        manual_skills: Iterable[Skill] = (),
    ) -> None:
        self._redis = redis
        self._bus = bus
        self._queue = queue
        self._chats = chats
        self._accounts = accounts
        self._transcripts = transcripts
        self.manual_skills = frozenset(manual_skills)
        self._tasks: set[asyncio.Task[None]] = set()

    # Assignment

    async def dispatch(self, skills: Iterable[Skill]) -> list[Assignment]:
        """Give waiting users of automatic skills to available agents, as many as fit."""
        made = []
        for skill in skills:
            if skill in self.manual_skills:
                continue
            while (assignment := await self._queue.assign_next(skill)) is not None:
                await self._connect(assignment)
                made.append(assignment)
        for skill in {a.skill for a in made}:
            self._announce_positions_soon(skill)
        if made:
            await self.publish_queue_changed()
        return made

    def dispatch_soon(self, skill: Skill) -> None:
        """A user joined the queue: dispatch after their turn has answered (they see their
        place first), and let consoles show the newcomer."""
        self._spawn(self._joined(skill))

    async def _joined(self, skill: Skill) -> None:
        if not await self.dispatch([skill]):
            await self.publish_queue_changed()

    async def claim(self, agent: str, conversation_id: str) -> Assignment | None:
        assignment = await self._queue.claim(agent, conversation_id)
        if assignment is not None:
            await self._connect(assignment)
            self._announce_positions_soon(assignment.skill)
            await self.publish_queue_changed()
        return assignment

    async def transfer(
        self,
        agent: str,
        display_name: str,
        conversation_id: str,
        *,
        to_skill: Skill | None = None,
        to_agent: str | None = None,
        note: str = "",
    ) -> bool:
        """Pass the agent's user to a skill's queue (at its head) or straight to an agent who
        has a free slot; False if that agent has none. The note travels with the user."""
        chat_id = (await self._serving(agent, conversation_id)).chat_id
        note = f"{display_name}：{note.strip()}" if note.strip() else ""
        if to_agent is not None:
            assignment = await self._queue.hand_over(conversation_id, agent, to_agent, note)
            if assignment is None:
                return False
            await self._chats.close(chat_id, Disposition.TRANSFERRED)
            await self.to_user(conversation_id, [_system(texts.HANDED_OVER_TEXT, agent=to_agent)])
            await self._connect(assignment)
        else:
            skill = to_skill or Skill.OTHER
            position = await self._queue.requeue(conversation_id, agent, skill, note)
            if position is None:
                raise NotYourChat(conversation_id)
            await self._chats.close(chat_id, Disposition.TRANSFERRED)
            text = texts.TRANSFERRED_TEXT.format(skill=SKILL_TITLES[skill], ahead=position - 1)
            await self.to_user(conversation_id, [_system(text, buttons=[CANCEL])])
            await self.dispatch([skill])
            await self.publish_queue_changed()
        await self._bus.publish(
            agent_topic(agent), {"type": "closed", "conversation_id": conversation_id}
        )
        return True

    async def take_over(self, supervisor: str, conversation_id: str) -> Assignment:
        """A supervisor takes the chat from its agent: the agent's chat ends (主管接管), the user
        is told and greeted by the supervisor, whose console opens the chat."""
        taken = await self._queue.take_over(conversation_id, supervisor)
        if taken is None:
            raise TakeOverRefused(conversation_id)
        assignment, previous = taken
        if (chat := await self._chats.current(conversation_id, previous)) is not None:
            await self._chats.close(chat.id, Disposition.TAKEN_OVER)
        await self.to_user(conversation_id, [_system(texts.TAKEN_OVER_TEXT)])
        await self._connect(assignment)
        await self._bus.publish(
            agent_topic(previous),
            {"type": "closed", "conversation_id": conversation_id, "taken_by": supervisor},
        )
        return assignment

    async def _connect(self, assignment: Assignment) -> None:
        now_ms = int(time.time() * 1000)
        chat = await self._chats.open(
            assignment.conversation_id,
            assignment.skill,
            assignment.agent_id,
            now_ms - assignment.waited_ms,
            now_ms,
        )
        if not await self._queue.set_chat(assignment.conversation_id, assignment.agent_id, chat.id):
            # The user moved on while the row was written (their agent dropped out): no chat.
            await self._chats.close(chat.id, Disposition.DROPPED)
            return
        account = await self._accounts.get(assignment.agent_id)
        name = account.display_name if account else assignment.agent_id
        greeting = OutboundMessage(
            role=Role.AGENT,
            text=texts.CONNECTED_TEXT.format(name=name),
            agent=assignment.agent_id,
            sender_name=name,
        )
        await self.to_user(assignment.conversation_id, [greeting])
        await self._bus.publish(
            agent_topic(assignment.agent_id),
            {"type": "assigned", "conversation_id": assignment.conversation_id, "chat": chat.id},
        )

    async def publish_queue_changed(self) -> None:
        """Consoles reload their waiting lists."""
        await self._bus.publish(CONSOLE_TOPIC, {"type": "queue"})

    # Messages

    async def to_user(
        self, conversation_id: str, messages: list[OutboundMessage]
    ) -> list[StoredMessage]:
        """Lines for the user outside their own turn: stored, then sent to their channel."""
        stored = await self._transcripts.append(conversation_id, messages)
        lines = [m.model_dump(mode="json") for m in stored]
        event = {"type": "messages", "messages": lines}
        await self._bus.publish(user_topic(conversation_id), event)
        await self._for_listeners(conversation_id, lines)
        return stored

    async def from_user(self, agent: str, line: StoredMessage) -> None:
        dumped = line.model_dump(mode="json")
        await self._bus.publish(
            agent_topic(agent),
            {"type": "message", "conversation_id": line.conversation_id, "message": dumped},
        )
        await self._for_listeners(line.conversation_id, [dumped])

    async def _for_listeners(self, conversation_id: str, lines: list[dict]) -> None:
        """Supervisors listening in see each line as the user and agent do (nobody listening:
        the publish reaches no one)."""
        await self._bus.publish(
            watch_topic(conversation_id),
            {"type": "watch", "conversation_id": conversation_id, "messages": lines},
        )

    async def reply(
        self,
        agent: str,
        display_name: str,
        conversation_id: str,
        text: str | None,
        image: str | None = None,
    ) -> StoredMessage:
        """The agent's line (a text, or an image by its reference) to the user they serve."""
        await self._serving(agent, conversation_id)
        line = OutboundMessage(
            role=Role.AGENT, text=text, image=image, agent=agent, sender_name=display_name
        )
        [stored] = await self.to_user(conversation_id, [line])
        return stored

    async def typing(self, agent: str, conversation_id: str, on: bool) -> None:
        await self._serving(agent, conversation_id)
        await self._bus.publish(user_topic(conversation_id), {"type": "typing", "on": on})

    async def user_typing(self, conversation_id: str, on: bool) -> None:
        """Shown to the user's agent, if they have one; dropped otherwise."""
        conversation = await self._queue.read(conversation_id)
        if conversation.phase is not Phase.WITH_AGENT:
            return
        await self._bus.publish(
            agent_topic(conversation.agent),
            {"type": "typing", "conversation_id": conversation_id, "on": on},
        )

    # Endings

    async def close(self, agent: str, conversation_id: str, disposition: Disposition) -> Chat:
        """The agent ends the chat: the user rates it, then is back with the bot."""
        served = await self._serving(agent, conversation_id)
        if not await self._queue.close(conversation_id, agent):
            raise NotYourChat(conversation_id)
        await self._chats.close(served.chat_id, disposition)
        await self.to_user(conversation_id, rating_prompt())
        await self._bus.publish(
            agent_topic(agent), {"type": "closed", "conversation_id": conversation_id}
        )
        await self.dispatch([served.skill])
        chat = await self._chats.get(served.chat_id)
        assert chat is not None
        return chat

    async def end_by_user(self, conversation: Conversation) -> list[OutboundMessage]:
        """The user ends the chat with their agent: the agent's console is told, and the user
        is asked to rate it (the lines returned answer the user's own turn). Nothing to rate
        if the agent closed it meanwhile: the user has their rating prompt already."""
        assert conversation.agent is not None and conversation.skill is not None
        if not await self._queue.close(conversation.id, conversation.agent):
            return []
        if conversation.chat_id is not None:
            await self._chats.close(conversation.chat_id, Disposition.USER_ENDED)
        await self._bus.publish(
            agent_topic(conversation.agent),
            {"type": "closed", "conversation_id": conversation.id, "ended_by": "user"},
        )
        await self.dispatch([conversation.skill])
        return rating_prompt()

    async def requeue_all(self, agent: str) -> int:
        """The agent dropped out: their users go back to the head of their queues, told so."""
        skills = set()
        for conversation_id in await self._queue.chats_of(agent):
            conversation = await self._queue.read(conversation_id)
            position = await self._queue.requeue(conversation_id, agent)
            if position is None:
                continue
            skills.add(conversation.skill)
            if conversation.chat_id is not None:
                await self._chats.close(conversation.chat_id, Disposition.DROPPED)
            text = texts.DROPPED_TEXT.format(position=position)
            await self.to_user(conversation_id, [_system(text, buttons=[CANCEL])])
            await self._bus.publish(
                agent_topic(agent), {"type": "closed", "conversation_id": conversation_id}
            )
        if skills:
            await self.publish_queue_changed()
            await self.dispatch(skills)
        return len(skills)

    async def _serving(self, agent: str, conversation_id: str) -> Conversation:
        """The user's conversation if they are in a chat (with its SQL row) with this agent;
        otherwise NotYourChat."""
        conversation = await self._queue.read(conversation_id)
        if (
            conversation.phase is not Phase.WITH_AGENT
            or conversation.agent != agent
            or conversation.chat_id is None
        ):
            raise NotYourChat(conversation_id)
        return conversation

    # Position updates

    def _announce_positions_soon(self, skill: Skill) -> None:
        self._spawn(self._announce_positions(skill))

    async def _announce_positions(self, skill: Skill) -> None:
        # One process per skill and debounce window sends; the others see the key and skip.
        key = f"{PREFIX}announce:{skill.value}"
        if not await self._redis.set(key, 1, nx=True, px=int(POSITION_DEBOUNCE_S * 1000)):
            return
        await asyncio.sleep(POSITION_DEBOUNCE_S)
        for position, (conversation_id, _) in enumerate(await self._queue.waiting(skill), 1):
            if not await self._queue.tell_position(conversation_id, position):
                continue
            text = texts.POSITION_TEXT.format(ahead=position - 1)
            await self.to_user(conversation_id, [_system(text, buttons=[CANCEL])])

    def _spawn(self, work) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("handoff background work failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for background work (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
