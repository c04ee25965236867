"""`swa-card-bridge`: run the card bridge on this PC (127.0.0.1 only) until stopped."""

from __future__ import annotations

import sys

import uvicorn

from integrations.card.bridge import create_app
from integrations.card.settings import HOST, BridgeSettings
from kernel.logging_setup import configure_logging


def main() -> int:
    settings = BridgeSettings()
    if not settings.origins():
        print("error: SWA_CARD_BRIDGE_ALLOWED_ORIGINS names no origin", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=HOST,
        port=settings.port,
        log_config=None,  # keep configure_logging's handler (and its redaction)
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
