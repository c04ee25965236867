"""Outside demo mode the service starts only with secrets of its own (and safe settings).

The demo values are Settings' defaults, published in this repository: with them anyone can sign
a portal token for any user id, or an identity the action server believes, and read that
person's records. They are what makes `make run` work with no settings at all, so they are
allowed exactly when SWA_DEMO_MODE is on (and `make run` turns it on). Any other way of starting
a process that holds a secret (plain uvicorn, a process manager, the action server) refuses to
start while a secret is a demo value or too short to be a key, with one line naming the
variables, so the mistake cannot reach the public. The same line refuses a WeChat channel in
plain mode when the operator asked for safe mode only (SWA_WECHAT_REQUIRE_SAFE_MODE): in plain
mode a captured callback URL can carry a forged first message, and only encryption stops it.
"""

from __future__ import annotations

import sys

from pydantic import SecretStr

from queue_service.settings import Settings

# HS256 keys and bearer tokens shorter than a SHA-256 output are guessable offline (RFC 7518 3.2).
MIN_SECRET_BYTES = 32
# The secrets every deployment needs, by Settings field.
REQUIRED = ("identity_secret", "rasa_token", "portal_jwt_secret")
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _variable(field: str) -> str:
    return f"SWA_{field.upper()}"


def _demo_value(field: str) -> str:
    default = Settings.model_fields[field].default
    return default.get_secret_value() if isinstance(default, SecretStr) else str(default)


def weak_secrets(settings: Settings) -> list[str]:
    """The variables whose values are published demo values or shorter than a key."""
    fields = list(REQUIRED)
    if settings.telegram_webhook_url:
        fields.append("telegram_secret")  # checked on every push Telegram makes
    weak = []
    for field in fields:
        value = getattr(settings, field).get_secret_value()
        if value == _demo_value(field) or len(value.encode()) < MIN_SECRET_BYTES:
            weak.append(_variable(field))
    return weak


def _secrets_clause(settings: Settings) -> str | None:
    weak = [] if settings.demo_mode else weak_secrets(settings)
    if not weak:
        return None
    return (
        f"{', '.join(weak)} must be set to a secret of at least {MIN_SECRET_BYTES} bytes that "
        f"is not a demo value (e.g. {GENERATE_HINT}), or set SWA_DEMO_MODE=true for a demo "
        "that is never exposed to the public"
    )


def _wechat_clause(settings: Settings) -> str | None:
    plain = settings.wechat_token.get_secret_value() and not (
        settings.wechat_encoding_aes_key.get_secret_value()
    )
    if not (plain and settings.wechat_require_safe_mode):
        return None
    return (
        "SWA_WECHAT_REQUIRE_SAFE_MODE is on but SWA_WECHAT_ENCODING_AES_KEY is not set: set it "
        "to the account's EncodingAESKey (message encryption: safe mode), or turn "
        "SWA_WECHAT_REQUIRE_SAFE_MODE off"
    )


def refusal(settings: Settings) -> str | None:
    """Why this process must not start with these settings, in one line; None when it may."""
    clauses = [c for c in (_secrets_clause(settings), _wechat_clause(settings)) if c]
    return f"refusing to start: {'; '.join(clauses)}" if clauses else None


def require_safe(settings: Settings) -> None:
    """Exit the process with the refusal line (status 2) when it must not start."""
    reason = refusal(settings)
    if reason is not None:
        print(reason, file=sys.stderr, flush=True)
        raise SystemExit(2)
