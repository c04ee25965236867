"""The supervisor's live view: the queues, the agents, and today's figures, in one request.

The console polls it every few seconds and on every queue event; everything is read from the
shared Redis and SQL, so any service instance gives the same answer.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.console.auth import current_supervisor
from queue_service.deps import Accounts, Queue, Stats
from queue_service.handoff.queue import AgentStatus

router = APIRouter(prefix="/console/api", tags=["console"])


@router.get("/supervisor")
async def live_view(
    staff: Annotated[StaffSession, Depends(current_supervisor)],
    queue: Queue,
    stats: Stats,
    accounts: Accounts,
) -> dict[str, Any]:
    now_ms = time.time() * 1000
    today = await stats.today()
    abandoned = await queue.abandoned(stats.day())
    skills = []
    for skill in Skill:
        figures = await queue.figures(skill)
        longest = (now_ms - figures.head_enqueued_ms) / 1000 if figures.head_enqueued_ms else 0
        skills.append(
            {
                "skill": skill.value,
                "title": SKILL_TITLES[skill],
                "waiting": figures.waiting,
                "longest_wait_s": max(0, int(longest)),
                "agents_online": figures.agents_online,
                "capacity_online": figures.capacity_online,
                "abandoned_today": abandoned[skill],
            }
        )
    agents = []
    # Every account, logged in or not: one never seen since a restart is simply offline.
    for account in await accounts.active():
        if account.role is Role.MAINTAINER:
            continue  # keeps the knowledge base, never serves users
        agent = await queue.agent(account.username)
        agents.append(
            {
                "username": account.username,
                "display_name": account.display_name,
                "role": account.role.value,
                "status": (agent.status if agent else AgentStatus.OFFLINE).value,
                "load": agent.load if agent else 0,
                "capacity": agent.capacity if agent else account.capacity,
                "connected": await queue.present(account.username),
                "chats": sorted(await queue.chats_of(account.username)),
            }
        )
    return {"skills": skills, "agents": agents, "today": asdict(today)}
