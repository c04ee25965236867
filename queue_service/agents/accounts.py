"""Agent and supervisor accounts in SQL, with Argon2id password hashes.

Accounts are created by an operator with the CLI (``python -m queue_service.agents``), never
through the web: there is no self-registration for staff. Logging in takes as long for an
unknown user name as for a wrong password, so the login form does not reveal who has an account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from queue_service.db import AgentAccount
from queue_service.handoff.queue import DEFAULT_CAPACITY
from queue_service.handoff.skills import Skill

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
MIN_PASSWORD_CHARS = 8
MAX_CAPACITY = 20

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so that both failures cost one Argon2 run.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class AccountError(ValueError):
    """An account that cannot be created as asked; the message says why, for the operator."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: Role
    skills: tuple[Skill, ...]
    capacity: int


def _account(row: AgentAccount) -> Account:
    return Account(
        row.username, row.display_name, Role(row.role), tuple(map(Skill, row.skills)), row.capacity
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password must have at least {MIN_PASSWORD_CHARS} characters")


class AccountStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def create(
        self,
        username: str,
        display_name: str,
        password: str,
        role: Role = Role.AGENT,
        skills: Iterable[Skill] = tuple(Skill),
        capacity: int = DEFAULT_CAPACITY,
    ) -> Account:
        if not USERNAME.match(username):
            raise AccountError(
                "user name: 3-32 characters, lower-case letters, digits and . _ -, "
                "starting with a letter"
            )
        if not display_name.strip() or len(display_name) > 32:
            raise AccountError("display name: 1-32 characters")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise AccountError(f"capacity: 1-{MAX_CAPACITY} chats at once")
        check_password(password)
        row = AgentAccount(
            username=username,
            display_name=display_name.strip(),
            password_hash=_hasher.hash(password),
            role=role.value,
            skills=[Skill(s).value for s in skills],
            capacity=capacity,
            active=True,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError as exc:
            raise AccountError(f"user name {username!r} is taken") from exc
        return _account(row)

    async def _row(self, username: str) -> AgentAccount | None:
        async with self._sessions() as session:
            query = select(AgentAccount).where(AgentAccount.username == username)
            return (await session.scalars(query)).first()

    async def get(self, username: str) -> Account | None:
        row = await self._row(username)
        return _account(row) if row is not None and row.active else None

    async def authenticate(self, username: str, password: str) -> Account | None:
        row = await self._row(username)
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            await self._update(username, password_hash=_hasher.hash(password))
        return _account(row)

    async def set_password(self, username: str, password: str) -> None:
        check_password(password)
        if not await self._update(username, password_hash=_hasher.hash(password)):
            raise AccountError(f"no account {username!r}")

    async def deactivate(self, username: str) -> None:
        """Stop an account from logging in; its name stays in transcripts and statistics."""
        if not await self._update(username, active=False):
            raise AccountError(f"no account {username!r}")

    async def _update(self, username: str, **values: object) -> bool:
        statement = update(AgentAccount).where(AgentAccount.username == username).values(**values)
        async with self._sessions() as session, session.begin():
            return (await session.execute(statement)).rowcount == 1
