"""How a transcript line names an image the service keeps: ``swa-image:<id>``.

Not a URL: who may read the image depends on who asks (the web chat with its secret, the
console with its session), so each reader builds its own address from the id.
"""

import re
import secrets

PREFIX = "swa-image:"
# 24 random bytes in base64url: 32 characters, unguessable.
_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def new_id() -> str:
    return secrets.token_urlsafe(24)


def is_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


def image_ref(image_id: str) -> str:
    return PREFIX + image_id


def image_id_of(ref: str | None) -> str | None:
    """The id a line's image names, if it is one of ours (else None: a bot's URL, or nothing)."""
    if ref is None or not ref.startswith(PREFIX):
        return None
    image_id = ref[len(PREFIX) :]
    return image_id if is_id(image_id) else None
