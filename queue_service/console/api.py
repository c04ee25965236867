"""The console's JSON API: the agent's status, the waiting lists and chats (tickets are in
tickets_api.py).

Errors carry a Chinese `detail` the page shows as it is. An agent sees and acts on their own
chats only; supervisors may read any transcript.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel.claims import Identity
from kernel.clock import china_now
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.console import texts
from queue_service.console.access import require_reader
from queue_service.console.auth import Staff, current_supervisor
from queue_service.deps import (
    Accounts,
    AppSettings,
    Board,
    IdentitiesDep,
    Queue,
    Transcripts,
)
from queue_service.handoff.chats import AGENT_DISPOSITIONS, DISPOSITION_TITLES, Disposition
from queue_service.handoff.hours import Timetable, when_text
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.switchboard import NotYourChat, TakeOverRefused
from queue_service.identity.service import Identities
from queue_service.services import part
from queue_service.transcripts import TranscriptStore

router = APIRouter(prefix="/console/api", tags=["console"])

# How many of the latest lines the waiting list shows per user.
PREVIEW_LINES = 3
MAX_REPLY_CHARS = 2000



class StatusChange(BaseModel):
    status: AgentStatus


class ChatRef(BaseModel):
    conversation_id: str = Field(max_length=200)


class Reply(ChatRef):
    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)


class Close(ChatRef):
    disposition: Disposition


class Transfer(ChatRef):
    to_skill: Skill | None = None
    to_agent: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)


def _channel(conversation_id: str) -> str:
    return conversation_id.split(":", 1)[0]


Hours = Annotated[Timetable, Depends(part(Timetable))]


def _service_hours(timetable: Timetable) -> dict[str, Any]:
    """Whether users can reach a person now; if not, the console says so (users are offered
    留言 instead), with the next opening."""
    now = china_now()
    if timetable.is_open(now):
        return {"open": True, "notice": None}
    opening = timetable.next_opening(now)
    when = texts.NEXT_OPENING.format(when=when_text(opening)) if opening else ""
    return {"open": False, "notice": texts.OFF_HOURS.format(next_opening=when)}


@router.get("/me")
async def me(staff: Staff, queue: Queue, timetable: Hours) -> dict[str, Any]:
    agent = await queue.agent(staff.username)
    skills = await queue.skills_of(staff.username)
    return {
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role.value,
        "maintainer": staff.maintainer,
        "status": (agent.status if agent else AgentStatus.OFFLINE).value,
        "capacity": agent.capacity if agent else 0,
        "load": agent.load if agent else 0,
        "skills": [{"id": s.value, "title": SKILL_TITLES[s]} for s in skills],
        "statuses": [{"id": s, "title": t} for s, t in texts.STATUS_TITLES.items()],
        "dispositions": [
            {"id": d.value, "title": DISPOSITION_TITLES[d]} for d in AGENT_DISPOSITIONS
        ],
        "service": _service_hours(timetable),
    }


@router.put("/status")
async def set_status(
    body: StatusChange, staff: Staff, queue: Queue, board: Board
) -> dict[str, str]:
    await queue.set_status(staff.username, body.status)
    if body.status is AgentStatus.ONLINE:
        await board.dispatch(await queue.skills_of(staff.username))
    return {"status": body.status.value}


async def _verified(identities: Identities, conversation_id: str) -> Identity | None:
    try:
        verified = await identities.current(conversation_id)
    except (RedisError, SQLAlchemyError):
        return None
    return verified.identity if verified else None


async def _identity_label(identities: Identities, conversation_id: str) -> str | None:
    """Who the user is verified as (王小明（个人，已验证）), or None for an anonymous user."""
    identity = await _verified(identities, conversation_id)
    return identity.label if identity else None


async def _preview(transcripts: TranscriptStore, conversation_id: str) -> list[dict[str, Any]]:
    lines = await transcripts.history(conversation_id, PREVIEW_LINES)
    return [{"role": m.role.value, "text": m.text} for m in lines if m.text]


@router.get("/queue")
async def waiting(
    staff: Staff,
    queue: Queue,
    board: Board,
    identities: IdentitiesDep,
    transcripts: Transcripts,
) -> dict[str, Any]:
    """The waiting users of the agent's skills (a supervisor: of all), first in line first."""
    skills = list(Skill) if staff.role is Role.SUPERVISOR else await queue.skills_of(staff.username)
    manual = board.manual_skills
    now_ms = time.time() * 1000
    lists = []
    for skill in skills:
        users = []
        for conversation_id, since_ms in await queue.waiting(skill):
            enqueued_ms = (await queue.read(conversation_id)).enqueued_ms or since_ms
            users.append(
                {
                    "conversation_id": conversation_id,
                    "channel": _channel(conversation_id),
                    "waited_s": max(0, int((now_ms - enqueued_ms) / 1000)),
                    "identity": await _identity_label(identities, conversation_id),
                    "last_messages": await _preview(transcripts, conversation_id),
                }
            )
        lists.append(
            {
                "skill": skill.value,
                "title": SKILL_TITLES[skill],
                "manual": skill in manual,
                "waiting": users,
            }
        )
    return {"skills": lists}


@router.get("/chats")
async def my_chats(staff: Staff, queue: Queue, identities: IdentitiesDep) -> dict[str, Any]:
    chats = []
    for conversation_id in sorted(await queue.chats_of(staff.username)):
        conversation = await queue.read(conversation_id)
        if conversation.phase is not Phase.WITH_AGENT:
            continue
        identity = await _verified(identities, conversation_id)
        chats.append(
            {
                "conversation_id": conversation_id,
                "channel": _channel(conversation_id),
                "skill": conversation.skill.value,
                "skill_title": SKILL_TITLES[conversation.skill],
                "identity": identity.label if identity else None,
                # What a canned response's {name} becomes (composer.js).
                "user_name": identity.name if identity else None,
                "note": conversation.note,
            }
        )
    return {"chats": chats}


@router.get("/transcript")
async def transcript(
    staff: Staff,
    queue: Queue,
    transcripts: Transcripts,
    settings: AppSettings,
    conversation_id: Annotated[str, Query(max_length=200)],
) -> dict[str, Any]:
    """The whole conversation: the bot part before the handoff, the queue, the chat."""
    await require_reader(staff, queue, conversation_id)
    lines = await transcripts.history(conversation_id, settings.history_limit)
    return {"messages": [m.model_dump(mode="json") for m in lines]}


@router.post("/chats/claim")
async def claim(body: ChatRef, staff: Staff, board: Board, queue: Queue) -> dict[str, str]:
    assignment = await board.claim(staff.username, body.conversation_id)
    if assignment is None:
        why = await _why_not_claimed(queue, staff.username, body.conversation_id)
        raise HTTPException(status.HTTP_409_CONFLICT, why)
    return {"conversation_id": assignment.conversation_id}


async def _why_not_claimed(queue: HandoffQueue, username: str, conversation_id: str) -> str:
    """The agent's own state first (what they can change), then the user's."""
    agent = await queue.agent(username)
    if agent is None or agent.status is not AgentStatus.ONLINE:
        current = (agent.status if agent else AgentStatus.OFFLINE).value
        return texts.NOT_ONLINE.format(status=texts.STATUS_TITLES[current])
    if agent.load >= agent.capacity:
        return texts.FULL.format(load=agent.load, capacity=agent.capacity)
    conversation = await queue.read(conversation_id)
    if conversation.phase is Phase.WITH_AGENT:
        return texts.TAKEN
    if conversation.phase is not Phase.QUEUED:
        return texts.LEFT_QUEUE
    if conversation.skill not in await queue.skills_of(username):
        return texts.NOT_YOUR_SKILL.format(skill=SKILL_TITLES[conversation.skill])
    return texts.TAKEN  # taken and released meanwhile: the list is out of date


@router.post("/chats/reply")
async def reply(body: Reply, staff: Staff, board: Board) -> dict[str, Any]:
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "回复内容不能为空。")
    try:
        line = await board.reply(
            staff.username, staff.display_name, body.conversation_id, text
        )
    except NotYourChat as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_YOUR_CHAT) from exc
    return line.model_dump(mode="json")


@router.post("/chats/close")
async def close(body: Close, staff: Staff, board: Board) -> dict[str, Any]:
    if body.disposition not in AGENT_DISPOSITIONS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "请选择会话结果。")
    try:
        chat = await board.close(
            staff.username, body.conversation_id, body.disposition
        )
    except NotYourChat as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_YOUR_CHAT) from exc
    return {"chat": chat.id, "disposition": chat.disposition}


@router.get("/agents")
async def agents(staff: Staff, queue: Queue, accounts: Accounts) -> dict[str, Any]:
    """Who a chat can be transferred to: every registered agent, online ones first."""
    listed = []
    for agent_id in sorted(await queue.agent_ids()):
        agent = await queue.agent(agent_id)
        if agent is None:
            continue
        account = await accounts.get(agent_id)
        listed.append(
            {
                "username": agent_id,
                "display_name": account.display_name if account else agent_id,
                "status": agent.status.value,
                "load": agent.load,
                "capacity": agent.capacity,
                "skills": [s.value for s in await queue.skills_of(agent_id)],
            }
        )
    listed.sort(key=lambda a: a["status"] != AgentStatus.ONLINE)
    return {"agents": listed}


@router.post("/chats/transfer")
async def transfer(body: Transfer, staff: Staff, board: Board) -> dict[str, str]:
    if (body.to_skill is None) == (body.to_agent is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.TRANSFER_TARGET)
    try:
        moved = await board.transfer(
            staff.username,
            staff.display_name,
            body.conversation_id,
            to_skill=body.to_skill,
            to_agent=body.to_agent,
            note=body.note,
        )
    except NotYourChat as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_YOUR_CHAT) from exc
    if not moved:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.TARGET_UNAVAILABLE)
    return {"conversation_id": body.conversation_id}


@router.post("/chats/takeover")
async def take_over(
    body: ChatRef,
    staff: Annotated[StaffSession, Depends(current_supervisor)],
    board: Board,
    queue: Queue,
) -> dict[str, str]:
    """A supervisor takes a chat from its agent (the user and the agent are told)."""
    try:
        await board.take_over(staff.username, body.conversation_id)
    except TakeOverRefused as exc:
        conversation = await queue.read(body.conversation_id)
        mine = conversation.phase is Phase.WITH_AGENT and conversation.agent == staff.username
        why = texts.ALREADY_YOURS if mine else texts.NOT_SERVED_NOW
        raise HTTPException(status.HTTP_409_CONFLICT, why) from exc
    return {"conversation_id": body.conversation_id}
