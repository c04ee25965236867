"""The Redis client of Rasa's lock and tracker stores, built where every other Redis client is
(kernel/redis_connect.py): the same fail-fast bounds, and Redis Sentinel when sentinels are named.

Rasa's own stores make a plain client with no bound on a read (the tracker store) or a 10 s
one (the lock store), and know nothing of Sentinel: after a failover they would keep calling the
old master's address. bot/endpoints.yml passes the sentinels (SWA_REDIS_SENTINELS, possibly
empty) to both store classes, which replace Rasa's client with this one.
"""

from __future__ import annotations

from typing import Any

import redis

from kernel.redis_connect import DEFAULT_MASTER_NAME, SentinelConfig, sync_client, url_of

# Longer than the service's 1 s: Rasa reads and writes a whole tracker (up to 100 events) in
# one call, and it is still far inside the hub's turn timeout (SWA_RASA_TIMEOUT_S, 10 s).
STORE_TIMEOUT_S = 2.0
# The endpoints file's keys that are ours, not Rasa's (removed before Rasa's own __init__).
SENTINEL_KEYS = ("sentinels", "master_name", "sentinel_password", "socket_timeout")


def pop_sentinel_options(options: dict[str, Any]) -> dict[str, Any]:
    """Our keys out of the endpoint's options, so that Rasa's constructor does not see them."""
    return {key: options.pop(key) for key in SENTINEL_KEYS if key in options}


def store_client(
    host: str,
    port: int | str,
    db: int | str = 0,
    password: str | None = None,
    *,
    sentinels: str | None = "",
    master_name: str | None = DEFAULT_MASTER_NAME,
    sentinel_password: str | None = "",
    socket_timeout: float | str | None = None,
    decode_responses: bool,
) -> redis.Redis:
    """A blocking client for the stores; with sentinels, host and port are ignored (the master
    is whichever the sentinels name)."""
    sentinel = SentinelConfig.parse(
        str(sentinels or ""), str(master_name or DEFAULT_MASTER_NAME), str(sentinel_password or "")
    )
    return sync_client(
        url_of(host or "127.0.0.1", int(port), int(db or 0), password or None),
        float(socket_timeout or STORE_TIMEOUT_S),
        sentinel,
        decode_responses=decode_responses,
    )
