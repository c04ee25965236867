"""What the card signs and how a proof travels: shared by the bridge and the service.

The card signs the service's one-time challenge prefixed with a purpose label, so that a
signature made for this login can never be passed off as a signature over anything else.
"""

from __future__ import annotations

import re

PURPOSE = b"swa-card-login:"
# The service's challenges are URL-safe base64 of 32 random bytes (43 characters).
CHALLENGE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def valid_challenge(challenge: object) -> bool:
    return isinstance(challenge, str) and CHALLENGE_PATTERN.fullmatch(challenge) is not None


def signed_message(challenge: str) -> bytes:
    """The bytes the card signs for a challenge."""
    if not valid_challenge(challenge):
        raise ValueError("not a challenge")
    return PURPOSE + challenge.encode("ascii")
