"""Manage agent and supervisor accounts from the command line.

    python -m queue_service.agents create wang --name 客服小王 [--role supervisor]
                                          [--skills airport,account] [--capacity 3]
    python -m queue_service.agents passwd wang
    python -m queue_service.agents deactivate wang
    python -m queue_service.agents role wang supervisor
    python -m queue_service.agents create li --name 知识库小李 --role maintainer
    python -m queue_service.agents knowledge zhao on      # a supervisor may also keep the FAQ

A maintainer (知识库管理员) keeps the FAQ knowledge base in the console's knowledge studio and
nothing else; a supervisor does so only when given it (`knowledge NAME on`); an agent never.

The password is asked twice on a terminal, or read from the first line of standard input when
that is not a terminal (scripts), so it never appears in the shell history or the process list.
The database is the service's (SWA_DATABASE_URL); its schema is brought up to date first.

`passwd`, `deactivate` and `role` also end the account's console sessions on every service
instance, through the service's Redis (SWA_REDIS_URL). The database is changed first: the
change must not wait for Redis, and the service already refuses a session whose account has
changed at its next use. If Redis cannot be reached, the command says so and exits with 2 after
the change; run it again once Redis answers.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from redis.exceptions import RedisError

from kernel.skills import Skill
from queue_service import cli, db
from queue_service.agents.accounts import (
    DEFAULT_CAPACITY,
    AccountError,
    AccountStore,
    Role,
    check_password,
)
from queue_service.agents.sessions import SessionStore
from queue_service.settings import get_settings

# Commands that change what a logged-in session was granted: its sessions end.
ENDING_SESSIONS = frozenset({"passwd", "deactivate", "role", "knowledge"})


def _skills(text: str) -> list[Skill]:
    try:
        return [Skill(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        choices = ", ".join(s.value for s in Skill)
        raise argparse.ArgumentTypeError(f"skills are among: {choices}") from exc


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    check_password(first)
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m queue_service.agents", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="display name shown to users")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    create.add_argument("--skills", type=_skills, default=list(Skill), help="comma-separated")
    create.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY)
    for name, text in (("passwd", "set a new password"), ("deactivate", "stop an account")):
        commands.add_parser(name, help=text).add_argument("username")
    role = commands.add_parser("role", help="make an account an agent, supervisor or maintainer")
    role.add_argument("username")
    role.add_argument("role", choices=[r.value for r in Role])
    knowledge = commands.add_parser(
        "knowledge", help="give a supervisor the knowledge studio (on) or take it back (off)"
    )
    knowledge.add_argument("username")
    knowledge.add_argument("grant", choices=["on", "off"])
    return parser


async def _change(args: argparse.Namespace, accounts: AccountStore) -> str:
    if args.command == "create":
        password = _read_password()
        account = await accounts.create(
            args.username, args.name, password, Role(args.role), args.skills, args.capacity
        )
        skills = ",".join(s.value for s in account.skills)
        return f"created {account.role} {account.username} ({skills})"
    if args.command == "passwd":
        await accounts.set_password(args.username, _read_password())
        return f"password of {args.username} changed"
    if args.command == "role":
        await accounts.set_role(args.username, Role(args.role))
        return f"{args.username} is now {args.role}"
    if args.command == "knowledge":
        await accounts.set_knowledge(args.username, args.grant == "on")
        keeps = "keeps" if args.grant == "on" else "no longer keeps"
        return f"{args.username} {keeps} the knowledge base"
    await accounts.deactivate(args.username)
    return f"{args.username} deactivated"


async def _end_sessions(username: str, done: str) -> str:
    settings = get_settings()
    redis = settings.redis_client(timeout_s=5)
    sessions = SessionStore(redis, settings.staff_session_ttl_s, settings.staff_session_max_s)
    try:
        ended = await sessions.end_all(username)
    except RedisError as exc:
        raise AccountError(
            f"{done}, but its console sessions were not ended: Redis (SWA_REDIS_URL) is "
            f"unreachable ({exc}). The service refuses them at their next use; run the command "
            "again once Redis answers."
        ) from exc
    finally:
        await redis.aclose()
    return f"{done}; console sessions ended: {ended}"


async def _run(args: argparse.Namespace, url: str) -> str:
    engine = db.create_engine(url)
    try:
        done = await _change(args, AccountStore(db.session_factory(engine)))
    finally:
        await engine.dispose()
    if args.command in ENDING_SESSIONS:
        return await _end_sessions(args.username, done)
    return done


def main(argv: list[str] | None = None) -> int:
    return cli.run(_parser(), _run, AccountError, argv)


if __name__ == "__main__":
    sys.exit(main())
