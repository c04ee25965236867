"""The service's start-up refusal: its secrets (kernel/secret_policy.py says why), and WeChat's
plain mode when the operator asked for safe mode only (SWA_WECHAT_REQUIRE_SAFE_MODE): in plain
mode a captured callback URL can carry a forged first message, and only encryption stops it.
"""

from __future__ import annotations

from kernel import secret_policy
from queue_service.settings import Settings

# The secrets every deployment of the service needs, by Settings field.
REQUIRED = ("identity_secret", "rasa_token", "portal_jwt_secret")


def _secret_fields(settings: Settings) -> list[str]:
    fields = list(REQUIRED)
    if settings.telegram_webhook_url:
        fields.append("telegram_secret")  # checked on every push Telegram makes
    return fields


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
    """Why the service must not start with these settings, in one line; None when it may."""
    return secret_policy.refusal(
        secret_policy.secrets_clause(settings, _secret_fields(settings)), _wechat_clause(settings)
    )


def require_safe(settings: Settings) -> None:
    secret_policy.require_safe(refusal(settings))
