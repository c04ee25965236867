"""The card bridge's configuration, from SWA_CARD_BRIDGE_* environment variables.

There is deliberately no host setting: the bridge holds the user's card and only ever listens
on 127.0.0.1, where nothing but this PC can reach it.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

HOST = "127.0.0.1"


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWA_CARD_BRIDGE_", extra="ignore")

    port: int = 61231
    # The pages allowed to use the card (comma-separated origins): the chat service's public URL.
    allowed_origins: str = "http://localhost:8000"
    # How often the card events stream looks at the readers, in seconds.
    poll_interval_s: float = 0.3
    log_level: str = "INFO"

    def origins(self) -> frozenset[str]:
        return frozenset(
            o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()
        )

    def hosts(self) -> frozenset[str]:
        """The Host headers a page on this PC sends; anything else is a DNS-rebinding attempt."""
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})
