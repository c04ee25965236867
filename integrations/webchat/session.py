"""What holds a web chat conversation: a random secret only the user's browser keeps.

The conversation id is the SHA-256 of the secret (its first 16 bytes, as a version-4 UUID), so
the service stores nothing but that hash, every instance finds the same conversation without a
lookup, and the id, which agents, logs and Rasa see, gives nobody the conversation: the id
cannot be turned back into the secret. A secret that is missing or malformed starts a new
conversation with a new secret. A well-formed secret the service never issued is as good as a
new one: nobody else holds it, and it reaches only the conversation of its own hash.

The secret travels only in the socket's first frame, never in a URL (access logs, browser
history) and never in a log line.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

from kernel import conversation_ids

CHANNEL = "webchat"
# 32 random bytes in base64url without padding: 43 characters.
SECRET_BYTES = 32
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Session:
    """A conversation opened on a socket: its id, and the secret when it was issued just now."""

    session_id: str  # the UUID the page and the agents see
    new_secret: str | None

    @property
    def conversation_id(self) -> str:
        return conversation_ids.conversation_id(CHANNEL, self.session_id)


def session_id_of(secret: str) -> str:
    digest = hashlib.sha256(secret.encode("ascii")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def open_session(secret: object) -> Session:
    """The conversation the secret holds; a new conversation (and secret) for anything else."""
    if isinstance(secret, str) and _SECRET.fullmatch(secret):
        return Session(session_id_of(secret), None)
    issued = secrets.token_urlsafe(SECRET_BYTES)
    return Session(session_id_of(issued), issued)


def held_conversation(secret: str | None) -> str | None:
    """The conversation a well-formed secret holds, for a request that names it in a header;
    None for anything else (an HTTP request never opens a conversation)."""
    if secret is None or not _SECRET.fullmatch(secret):
        return None
    return Session(session_id_of(secret), None).conversation_id
