"""The frame of the operators' command lines (agent accounts, e-port cards)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from queue_service import db
from queue_service.settings import get_settings

Command = Callable[[argparse.Namespace, str], Awaitable[str]]


def run(
    parser: argparse.ArgumentParser,
    command: Command,
    errors: type[Exception] | tuple[type[Exception], ...],
    argv: list[str] | None = None,
) -> int:
    """Parse, bring the service's database (SWA_DATABASE_URL) up to date, run the command and
    print what it did; an error the operator must fix is one line on stderr and exit code 2."""
    args = parser.parse_args(argv)
    url = get_settings().database_url
    db.upgrade(url)
    try:
        print(asyncio.run(command(args, url)))
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
