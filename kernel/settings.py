"""What every process reads the same way from SWA_* environment variables: the demo switch,
where Redis and the records are, the identity secret, where users log in, how to log.

The service's own settings extend these (queue_service/settings.py); the action server reads
only these. One definition keeps the defaults in agreement: the embedded Redis port, the SQLite
files under var/, the demo values that `make run` works with.
"""

from functools import lru_cache
from pathlib import Path

import redis.asyncio
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.redis_connect import (
    DEFAULT_MASTER_NAME,
    DEFAULT_TIMEOUT_S,
    SentinelConfig,
    async_client,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

# Where users of the real service log in when SWA_PORTAL_URL does not say otherwise.
SINGLE_WINDOW_PORTAL = "https://www.singlewindow.cn"

# The embedded Redis listens on 6380 so that it never collides with a system Redis on 6379.
EMBEDDED_REDIS_PORT = 6380


class SharedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWA_", extra="ignore")

    # The one demo switch: the published demo secrets, the demo portal and the demo cards exist
    # only with it on. `make run` turns it on; any other way of starting the service leaves it
    # off, and then every process refuses to start with a demo or weak secret (secret_policy.py).
    demo_mode: bool = False

    redis_url: str = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
    # Redis Sentinel (kernel/redis_connect.py): "host:port,host:port"; when set, the master of
    # redis_master_name is found through them and the URL gives only the database and password.
    redis_sentinels: str = ""
    redis_master_name: str = DEFAULT_MASTER_NAME
    redis_sentinel_password: SecretStr = SecretStr("")
    # Fail-fast bounds (issue 16): a Redis call that gets no answer in this long fails, and the
    # user is answered in words, instead of a turn hanging on a stopped server.
    redis_timeout_s: float = DEFAULT_TIMEOUT_S
    # The Single Window records the self-service queries read (the stand-in back end's own data).
    records_database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'records.db'}"
    # Demo value (allowed in demo mode only): signs the verified identity the hub passes to the
    # action server through Rasa.
    identity_secret: SecretStr = SecretStr("swa-demo-identity-secret")

    public_url: str = "http://localhost:8000"
    # Where users log in (and get bind codes); empty: the demo portal in demo mode, else the
    # Single Window's own portal.
    portal_url: str = ""

    log_level: str = "INFO"
    log_json: bool = False

    def redis_sentinel(self) -> SentinelConfig | None:
        return SentinelConfig.parse(
            self.redis_sentinels,
            self.redis_master_name,
            self.redis_sentinel_password.get_secret_value(),
        )

    def redis_client(self, timeout_s: float | None = None) -> redis.asyncio.Redis:
        """This process's Redis, with the fail-fast bounds, through Sentinel when configured."""
        return async_client(
            self.redis_url,
            self.redis_timeout_s if timeout_s is None else timeout_s,
            self.redis_sentinel(),
        )

    def portal_login_url(self) -> str:
        if self.portal_url:
            return self.portal_url
        if self.demo_mode:
            return f"{self.public_url.rstrip('/')}/portal/demo"
        return SINGLE_WINDOW_PORTAL


@lru_cache
def shared_settings() -> SharedSettings:
    return SharedSettings()
