"""The identity the hub vouches for, signed for the action server (HMAC-SHA256, shared secret).

Rasa relays message metadata without looking at it, so anything in it could have been written
by whoever can reach Rasa's webhook. The hub signs the identity together with the conversation
id and an expiry; the action server accepts it only for that conversation, unexpired, with a
valid signature. A user cannot forge it: the channels never pass metadata through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from kernel.claims import Identity

METADATA_KEY = "swa_identity"
SIGNATURE_KEY = "swa_identity_sig"
# Long enough for a turn to reach the action server, short enough that a copy is soon useless.
DEFAULT_TTL_S = 300


class IdentityRejected(ValueError):
    """Metadata that claims an identity but cannot be trusted; the reason is for the logs."""


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(secret: str, body: dict[str, Any]) -> str:
    digest = hmac.new(secret.encode(), _canonical(body), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(
    identity: Identity,
    conversation_id: str,
    secret: str,
    now: float | None = None,
    ttl_s: int = DEFAULT_TTL_S,
) -> dict[str, Any]:
    """Metadata for one message to Rasa."""
    body = {
        "claims": identity.to_claims(),
        "conversation_id": conversation_id,
        "exp": int((now if now is not None else time.time()) + ttl_s),
    }
    return {METADATA_KEY: body, SIGNATURE_KEY: _mac(secret, body)}


def verify(
    metadata: dict[str, Any] | None, conversation_id: str, secret: str, now: float | None = None
) -> Identity | None:
    """The identity in a message's metadata; None if it carries none.

    Raises IdentityRejected when it carries one that is tampered with, expired, or signed for
    another conversation.
    """
    if not metadata or (METADATA_KEY not in metadata and SIGNATURE_KEY not in metadata):
        return None
    body, signature = metadata.get(METADATA_KEY), metadata.get(SIGNATURE_KEY)
    if not isinstance(body, dict) or not isinstance(signature, str):
        raise IdentityRejected("identity metadata is malformed")
    if not hmac.compare_digest(_mac(secret, body), signature):
        raise IdentityRejected("identity signature does not match")
    if body.get("conversation_id") != conversation_id:
        raise IdentityRejected("identity was signed for another conversation")
    expiry = body.get("exp")
    if not isinstance(expiry, int) or expiry < (now if now is not None else time.time()):
        raise IdentityRejected("identity has expired")
    try:
        return Identity.from_claims(body["claims"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IdentityRejected(f"identity claims are malformed: {exc}") from exc
