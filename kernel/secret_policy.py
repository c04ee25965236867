"""Outside demo mode a process starts only with secrets of its own.

The demo values are the settings' defaults, published in this repository: with them anyone can
sign a portal token for any user id, or an identity the action server believes, and read that
person's records. They are what makes `make run` work with no settings at all, so they are
allowed exactly when SWA_DEMO_MODE is on (and `make run` turns it on). Any other way of starting
a process that holds a secret (plain uvicorn, a process manager, the action server) refuses to
start while a secret is a demo value or too short to be a key, with one line naming the
variables, so the mistake cannot reach the public. Each process names the secrets it holds and
may add reasons of its own (the service: WeChat's safe mode) to the same line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from pydantic import SecretStr
from pydantic_settings import BaseSettings

# HS256 keys and bearer tokens shorter than a SHA-256 output are guessable offline (RFC 7518 3.2).
MIN_SECRET_BYTES = 32
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def variable(field: str) -> str:
    return f"SWA_{field.upper()}"


def _demo_value(settings: BaseSettings, field: str) -> str:
    default = type(settings).model_fields[field].default
    return default.get_secret_value() if isinstance(default, SecretStr) else str(default)


def weak_secrets(settings: BaseSettings, fields: Iterable[str]) -> list[str]:
    """The variables whose values are published demo values or shorter than a key."""
    weak = []
    for field in fields:
        value = getattr(settings, field).get_secret_value()
        if value == _demo_value(settings, field) or len(value.encode()) < MIN_SECRET_BYTES:
            weak.append(variable(field))
    return weak


def secrets_clause(settings: BaseSettings, fields: Iterable[str]) -> str | None:
    """Why the secrets are not good enough (None in demo mode, or when they are)."""
    weak = [] if getattr(settings, "demo_mode", False) else weak_secrets(settings, fields)
    if not weak:
        return None
    return (
        f"{', '.join(weak)} must be set to a secret of at least {MIN_SECRET_BYTES} bytes that "
        f"is not a demo value (e.g. {GENERATE_HINT}), or set SWA_DEMO_MODE=true for a demo "
        "that is never exposed to the public"
    )


def refusal(*clauses: str | None) -> str | None:
    """The one line a process refuses to start with; None when nothing stands in its way."""
    reasons = [clause for clause in clauses if clause]
    return f"refusing to start: {'; '.join(reasons)}" if reasons else None


def require_safe(reason: str | None) -> None:
    """Exit the process with the refusal line (status 2) when there is one."""
    if reason is not None:
        print(reason, file=sys.stderr, flush=True)
        raise SystemExit(2)
