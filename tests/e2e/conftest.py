"""The real stack for end-to-end tests: Redis, Rasa, the action server and the service.

Started with the same command lines `make run` uses (stack.processes), on free ports, with a
throwaway SQLite database, so tests never touch a running developer stack.
"""

from collections.abc import Iterator

import pytest

from tests.support.servers import RedisProcess
from tests.support.stack import RASA_TOKEN, Stack, started_stack

__all__ = ["RASA_TOKEN", "Stack"]


@pytest.fixture(scope="session")
def stack(redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Its own Redis database: the stack runs through the whole session, and its handoff round
    # must not act on the agents that integration tests (database 0, flushed per test) create.
    redis_url = redis_process.url.rsplit("/", 1)[0] + "/1"
    # Agents work round the clock here, so that handoff tests do not depend on the hour.
    with started_stack(
        redis_url, tmp_path_factory.mktemp("stack"), SWA_SERVICE_HOURS="mon-sun 00:00-24:00"
    ) as stack:
        yield stack
