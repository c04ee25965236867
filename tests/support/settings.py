"""Settings as an operator outside demo mode would give them: secrets of their own."""

import secrets
from typing import Any


def own_secrets() -> dict[str, Any]:
    """Fresh secrets for every required one (queue_service/secret_policy.py), and demo mode off."""
    return {
        "demo_mode": False,
        "identity_secret": secrets.token_urlsafe(32),
        "rasa_token": secrets.token_urlsafe(32),
        "portal_jwt_secret": secrets.token_urlsafe(32),
    }
