"""The one place that builds Redis clients: the service, the action server, the command-line
tools and Rasa's lock and tracker stores (rasa_addons/) all connect through here.

Two things every client shares, whichever process it lives in:

- **Fail-fast bounds.** A call that gets no answer within `timeout_s` fails instead of hanging
  on a stopped server, and a dropped connection is retried once, at once, with no backoff
  (redis-py's default since 6.0 is three retries with growing pauses, seconds in all): a turn
  makes a few calls in a row and their sum must stay within the promise of an answer in 2 s
  (docs/reliability.md).
- **Redis Sentinel.** With sentinels named (SWA_REDIS_SENTINELS), the client asks them for the
  master of SWA_REDIS_MASTER_NAME on every new connection instead of using the URL's host and
  port (the URL still gives the database number and the password). During a failover a call
  fails as fast as with a dead server; once the sentinels have promoted a replica, the next
  call's reconnect reaches the new master. A sentinel that is down is skipped at once.

Imported by Rasa's Python too (3.10, redis-py 4.6), so only redis-py and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.asyncio.sentinel
import redis.retry
import redis.sentinel
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError

DEFAULT_MASTER_NAME = "swa"
DEFAULT_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class SentinelConfig:
    """Where the sentinels are and which master of theirs is ours."""

    nodes: tuple[tuple[str, int], ...]
    master_name: str = DEFAULT_MASTER_NAME
    # The sentinels' own password (their `requirepass`); the master's is in the Redis URL.
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(
        cls, sentinels: str, master_name: str = DEFAULT_MASTER_NAME, password: str = ""
    ) -> SentinelConfig | None:
        """From "host:port,host:port"; None when the list is empty (Redis at the URL alone)."""
        nodes = []
        for item in (s.strip() for s in sentinels.split(",")):
            if not item:
                continue
            host, sep, port = item.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"SWA_REDIS_SENTINELS: {item!r} is not host:port")
            nodes.append((host.strip("[]"), int(port)))
        if not nodes:
            return None
        if not master_name:
            raise ValueError("SWA_REDIS_MASTER_NAME is empty")
        return cls(tuple(nodes), master_name, password or None)


def url_of(host: str, port: int, db: int = 0, password: str | None = None) -> str:
    """A redis:// URL from the parts Rasa's endpoints file gives."""
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{int(port)}/{int(db)}"


def async_client(
    url: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sentinel: SentinelConfig | None = None,
    *,
    decode_responses: bool = True,
) -> redis.asyncio.Redis:
    """An asyncio client with the bounds above. Subscriptions (queue_service/bus.py) read with
    no bound, so an idle bus is not cut off; their connection still fails when Redis goes."""
    options = _options(timeout_s, redis.asyncio.retry.Retry, decode_responses)
    if sentinel is None:
        return redis.asyncio.Redis.from_url(url, **options)
    manager = redis.asyncio.sentinel.Sentinel(
        list(sentinel.nodes), sentinel_kwargs=_sentinel_options(sentinel, timeout_s, async_=True)
    )
    return manager.master_for(sentinel.master_name, **_master_options(url), **options)


def sync_client(
    url: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sentinel: SentinelConfig | None = None,
    *,
    decode_responses: bool = True,
) -> redis.Redis:
    """The same for blocking code (Rasa's stores)."""
    options = _options(timeout_s, redis.retry.Retry, decode_responses)
    if sentinel is None:
        return redis.Redis.from_url(url, **options)
    manager = redis.sentinel.Sentinel(
        list(sentinel.nodes), sentinel_kwargs=_sentinel_options(sentinel, timeout_s, async_=False)
    )
    return manager.master_for(sentinel.master_name, **_master_options(url), **options)


def _options(timeout_s: float, retry_class: type, decode_responses: bool) -> dict[str, Any]:
    return {
        "decode_responses": decode_responses,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": retry_class(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }


def _sentinel_options(sentinel: SentinelConfig, timeout_s: float, *, async_: bool) -> dict:
    """A sentinel that does not answer is skipped for the next one, never retried."""
    retry_class = redis.asyncio.retry.Retry if async_ else redis.retry.Retry
    return {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "password": sentinel.password,
        "retry": retry_class(NoBackoff(), 0),
    }


def _master_options(url: str) -> dict[str, Any]:
    """The URL's database, user and password; its host and port are the sentinels' to say."""
    parsed = parse_url(url)
    return {key: parsed[key] for key in ("db", "username", "password") if key in parsed}
