"""Rasa's Redis lock store, connected through kernel/redis_connect.py (fail-fast, Sentinel).

endpoints.yml: lock_store: type: rasa_addons.lock_store.SentinelAwareLockStore, with the Redis
lock store's settings plus sentinels, master_name and sentinel_password (see redis_stores.py).
Rasa hands a custom lock store class its endpoint configuration as a whole.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.redis_stores import pop_sentinel_options, store_client


class SentinelAwareLockStore(RedisLockStore):
    """RedisLockStore whose client follows the sentinels' master."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        options = dict(endpoint_config.kwargs) if endpoint_config else {}
        options.update(kwargs)
        ours = pop_sentinel_options(options)
        host = (endpoint_config.url if endpoint_config else None) or options.pop("host", None)
        options.pop("host", None)
        host = host or "127.0.0.1"
        super().__init__(host=host, **options)
        self.red = store_client(
            host,
            options.get("port", 6379),
            options.get("db", 1),
            options.get("password"),
            decode_responses=False,
            **ours,
        )
