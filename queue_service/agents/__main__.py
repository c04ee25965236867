"""Manage agent and supervisor accounts from the command line.

    python -m queue_service.agents create wang --name 客服小王 [--role supervisor]
                                          [--skills airport,account] [--capacity 3]
    python -m queue_service.agents passwd wang
    python -m queue_service.agents deactivate wang

The password is asked twice on a terminal, or read from the first line of standard input when
that is not a terminal (scripts), so it never appears in the shell history or the process list.
The database is the service's (SWA_DATABASE_URL); its schema is brought up to date first.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from queue_service import cli, db
from queue_service.agents.accounts import AccountError, AccountStore, Role, check_password
from queue_service.handoff.queue import DEFAULT_CAPACITY
from queue_service.handoff.skills import Skill


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
    return parser


async def _run(args: argparse.Namespace, url: str) -> str:
    engine = db.create_engine(url)
    try:
        accounts = AccountStore(db.session_factory(engine))
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
        await accounts.deactivate(args.username)
        return f"{args.username} deactivated"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli.run(_parser(), _run, AccountError, argv)


if __name__ == "__main__":
    sys.exit(main())
