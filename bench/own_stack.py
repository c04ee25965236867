"""The whole stack started by a benchmark for itself: Redis, the action server, Rasa and the
service on free ports in a throwaway folder (tests/support/stack.py, as the end-to-end tests
start it), so `make bench` needs nothing running and never touches a developer's stack."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import RedisProcess
from tests.support.stack import Stack, started_stack

# A throwaway stack on loopback (demo secrets), whose load is one machine's simulated users:
# its pace and its connections are not a person's.
UNLIMITED = {
    "SWA_DEMO_MODE": "true",
    "SWA_WEBCHAT_MESSAGE_BURST": "100000",
    "SWA_WEBCHAT_MESSAGES_PER_S": "100000",
    "SWA_WEBCHAT_MAX_CONNECTIONS_PER_IP": "100000",
    "SWA_LOG_LEVEL": "WARNING",
}


@contextmanager
def own_stack(**env: str) -> Iterator[Stack]:
    """The stack up and answering (UNLIMITED and `env` added to its settings), then stopped."""
    with tempfile.TemporaryDirectory(prefix="swa-bench-") as tmp:
        workdir = Path(tmp)
        redis = RedisProcess(workdir / "redis")
        redis.start()
        try:
            with started_stack(redis.url, workdir, **{**UNLIMITED, **env}) as stack:
                yield stack
        finally:
            redis.stop()
