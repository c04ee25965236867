"""Which conversations a member of staff may read: its transcript, contact panel and notes.

A supervisor may read any. An agent may read the users they serve now and the users waiting in
their skills' queues (to decide whom to take); finished chats are reached through transcript
search, which has its own rule (search.py: only chats the agent served).
"""

from __future__ import annotations

from fastapi import HTTPException, status

from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.console import texts
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import HandoffQueue


async def may_read(staff: StaffSession, queue: HandoffQueue, conversation_id: str) -> bool:
    if staff.role is Role.SUPERVISOR:
        return True
    conversation = await queue.read(conversation_id)
    if conversation.phase is Phase.WITH_AGENT:
        return conversation.agent == staff.username
    if conversation.phase is Phase.QUEUED:
        return conversation.skill in await queue.skills_of(staff.username)
    return False


async def require_reader(staff: StaffSession, queue: HandoffQueue, conversation_id: str) -> None:
    """403 with the console's words unless `may_read`."""
    if not await may_read(staff, queue, conversation_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.NOT_ALLOWED)
