"""Agent, supervisor and maintainer accounts in SQL, with Argon2id password hashes.

Accounts are created by an operator with the CLI (``python -m queue_service.agents``), never
through the web: there is no self-registration for staff. Logging in takes as long for an
unknown user name as for a wrong password, so the login form does not reveal who has an account.
Hashing runs in the bounded thread pool of `passwords.Passwords`, never on the event loop.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.skills import Skill
from queue_service.agents.passwords import Passwords
from queue_service.db import AgentAccount

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
MIN_PASSWORD_CHARS = 8
# Chats an agent serves at once unless their account says otherwise; at most MAX_CAPACITY.
DEFAULT_CAPACITY = 3
MAX_CAPACITY = 20


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    # Keeps the FAQ knowledge base (知识库管理员) and nothing else: never serves users.
    MAINTAINER = "maintainer"


class AccountError(ValueError):
    """An account that cannot be created as asked; the message says why, for the operator."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: Role
    skills: tuple[Skill, ...]
    capacity: int
    # Changes whenever the password does: a staff session opened before a change is refused.
    password_stamp: str = ""
    # A supervisor granted the knowledge studio (`knowledge` command of the CLI).
    maintains_knowledge: bool = False

    @property
    def maintainer(self) -> bool:
        """May edit the knowledge base: a maintainer, or a supervisor given the grant. An agent
        never may (the grant is refused and cleared for agents)."""
        return self.role is Role.MAINTAINER or (
            self.role is Role.SUPERVISOR and self.maintains_knowledge
        )


def _stamp(password_hash: str) -> str:
    """A short digest of the hash: tells hashes apart, says nothing about the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _account(row: AgentAccount) -> Account:
    return Account(
        row.username,
        row.display_name,
        Role(row.role),
        tuple(map(Skill, row.skills)),
        row.capacity,
        _stamp(row.password_hash),
        bool(row.maintains_knowledge),
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password must have at least {MIN_PASSWORD_CHARS} characters")


class AccountStore:
    def __init__(self, sessions: async_sessionmaker, passwords: Passwords | None = None) -> None:
        self._sessions = sessions
        self.passwords = passwords or Passwords()

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
            password_hash=await self.passwords.hash(password),
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

    async def active(self) -> list[Account]:
        """Every account that may log in, by user name (客服状态 lists them all)."""
        query = (
            select(AgentAccount)
            .where(AgentAccount.active.is_(True))
            .order_by(AgentAccount.username)
        )
        async with self._sessions() as session:
            return [_account(row) for row in await session.scalars(query)]

    async def authenticate(self, username: str, password: str) -> Account | None:
        """The account, if the password is right and it is active; `HashingBusy` when the
        hashing pool is full (nothing was checked)."""
        row = await self._row(username)
        if not await self.passwords.verify(row.password_hash if row else None, password):
            return None
        if row is None or not row.active:
            return None
        if self.passwords.needs_rehash(row.password_hash):
            row.password_hash = await self.passwords.hash(password)
            await self._update(username, password_hash=row.password_hash)
        return _account(row)

    async def set_password(self, username: str, password: str) -> None:
        check_password(password)
        if not await self._update(username, password_hash=await self.passwords.hash(password)):
            raise AccountError(f"no account {username!r}")

    async def set_role(self, username: str, role: Role) -> None:
        # An agent never keeps a knowledge grant it had as a supervisor.
        values: dict[str, object] = {"role": role.value}
        if role is Role.AGENT:
            values["maintains_knowledge"] = False
        if not await self._update(username, **values):
            raise AccountError(f"no account {username!r}")

    async def set_knowledge(self, username: str, granted: bool) -> None:
        """Give a supervisor the knowledge studio, or take it back. Agents never edit the
        knowledge base; a maintainer has it by its role."""
        row = await self._row(username)
        if row is None:
            raise AccountError(f"no account {username!r}")
        if row.role != Role.SUPERVISOR.value:
            raise AccountError(
                f"{username} is a {row.role}: only a supervisor is given or refused the knowledge "
                "studio (a maintainer has it by its role, an agent never)"
            )
        await self._update(username, maintains_knowledge=granted)

    async def deactivate(self, username: str) -> None:
        """Stop an account from logging in; its name stays in transcripts and statistics."""
        if not await self._update(username, active=False):
            raise AccountError(f"no account {username!r}")

    async def _update(self, username: str, **values: object) -> bool:
        statement = update(AgentAccount).where(AgentAccount.username == username).values(**values)
        async with self._sessions() as session, session.begin():
            return (await session.execute(statement)).rowcount == 1


class RecentAccounts:
    """Accounts as SQL had them at most `max_age_s` ago, remembered in this process.

    Every console request checks that its session's account is still active, with the role and
    password it logged in with. The CLI ends sessions through Redis at once when it changes an
    account; this check is the fallback for a change it could not announce. Reading SQL for it on
    every request costs the agent's reply path a millisecond or two (docs/performance.md); every
    few seconds is as good a fallback. Only a remembered account that still fits is trusted: one
    that does not is read again before a session is refused, so a login made a moment ago (new
    password, new role), here or on another instance, is never refused for an old reading.
    """

    def __init__(
        self,
        accounts: AccountStore,
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = accounts
        self._max_age_s = max_age_s
        self._clock = clock
        self._read: dict[str, tuple[float, Account | None]] = {}

    async def get(self, username: str, *, fresh: bool = False) -> Account | None:
        """The active account (None: gone or deactivated), read again once `max_age_s` passed
        (or now, when `fresh`)."""
        now = self._clock()
        read_at, account = self._read.get(username, (float("-inf"), None))
        if fresh or now - read_at >= self._max_age_s:
            account = await self._accounts.get(username)
            self._read[username] = (now, account)
        return account
