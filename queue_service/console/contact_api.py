"""The console's contact panel and notes: who the user is, what they had with the help desk
before, and what staff wrote about them (never sent to the user).

Readable by whoever may read the conversation (access.py). A note is written by any of them; a
whisper only by a supervisor, to the agent serving the user right now, whose console shows it
at once in the chat. Errors carry a Chinese `detail` the page shows as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from kernel.conversation_ids import channel_of
from kernel.skills import SKILL_TITLES
from queue_service.agents.accounts import Role
from queue_service.console import texts
from queue_service.console.access import require_reader
from queue_service.console.auth import Staff
from queue_service.console.notes import MAX_NOTE_CHARS, NoteKind, NoteStore
from queue_service.console.tickets_api import ticket_json
from queue_service.deps import Accounts, EventBus, IdentitiesDep, Queue, Tickets
from queue_service.handoff.chats import DISPOSITION_TITLES, ChatStore
from queue_service.handoff.phases import Phase
from queue_service.services import part
from queue_service.topics import agent_topic

router = APIRouter(prefix="/console/api", tags=["console"])

Notes = Annotated[NoteStore, Depends(part(NoteStore))]
Chats = Annotated[ChatStore, Depends(part(ChatStore))]
ConversationId = Annotated[str, Query(max_length=200)]
# Past chats and tickets the panel lists.
HISTORY_LIMIT = 20


class NewNote(BaseModel):
    conversation_id: str = Field(max_length=200)
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)
    whisper: bool = False


@router.get("/contact")
async def contact(
    staff: Staff,
    queue: Queue,
    identities: IdentitiesDep,
    chats: Chats,
    tickets: Tickets,
    accounts: Accounts,
    conversation_id: ConversationId,
) -> dict[str, Any]:
    await require_reader(staff, queue, conversation_id)
    verified = await identities.current(conversation_id)
    identity = verified.identity if verified else None
    past = []
    for chat in await chats.of_conversation(conversation_id, HISTORY_LIMIT):
        account = await accounts.get(chat.agent)
        past.append(
            {
                "id": chat.id,
                "skill_title": SKILL_TITLES[chat.skill],
                "agent_name": account.display_name if account else chat.agent,
                "assigned_at": chat.assigned_at.isoformat(),
                "closed_at": chat.closed_at.isoformat() if chat.closed_at else None,
                "disposition_title": (
                    DISPOSITION_TITLES[chat.disposition] if chat.disposition else "进行中"
                ),
                "csat": chat.csat,
            }
        )
    return {
        "conversation_id": conversation_id,
        "channel": channel_of(conversation_id),
        "identity": None
        if identity is None
        else {
            "label": identity.label,
            "name": identity.name,
            "kind": identity.kind.value,
            "enterprise_name": identity.enterprise_name,
            "source": identity.source.value,
        },
        "chats": past,
        "tickets": [
            ticket_json(t) for t in await tickets.of_conversation(conversation_id, HISTORY_LIMIT)
        ],
    }


@router.get("/notes")
async def notes(
    staff: Staff, queue: Queue, store: Notes, conversation_id: ConversationId
) -> dict[str, Any]:
    await require_reader(staff, queue, conversation_id)
    return {"notes": [n.as_json() for n in await store.of_conversation(conversation_id)]}


@router.post("/notes", status_code=status.HTTP_201_CREATED)
async def add_note(
    body: NewNote, staff: Staff, queue: Queue, store: Notes, bus: EventBus
) -> dict[str, Any]:
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.NOTE_EMPTY)
    await require_reader(staff, queue, body.conversation_id)
    conversation = await queue.read(body.conversation_id)
    serving = conversation.agent if conversation.phase is Phase.WITH_AGENT else None
    if body.whisper:
        if staff.role is not Role.SUPERVISOR:
            raise HTTPException(status.HTTP_403_FORBIDDEN, texts.SUPERVISORS_ONLY)
        if serving is None or serving == staff.username:
            raise HTTPException(status.HTTP_409_CONFLICT, texts.NOBODY_TO_WHISPER_TO)
    kind = NoteKind.WHISPER if body.whisper else NoteKind.NOTE
    note = await store.add(body.conversation_id, kind, staff.username, staff.display_name, text)
    if serving is not None and serving != staff.username:
        # The serving agent's console shows it in the chat at once (a whisper highlighted).
        await bus.publish(agent_topic(serving), {"type": "note", "note": note.as_json()})
    return note.as_json()
