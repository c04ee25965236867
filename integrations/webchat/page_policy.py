"""The chat page's Content-Security-Policy (queue_service/page_policy.py), with what is the
chat page's own: it talks to the card bridge on the user's PC too (card.js fetches it), and the
embedding sites (SWA_EMBED_ORIGINS) may frame it, as this service may (the demo portal)."""

from urllib.parse import urlsplit

from queue_service import page_policy
from queue_service.settings import Settings


def content_security_policy(settings: Settings, host: str) -> str:
    """The policy for the page as served to `host` (the Host header: where its socket is)."""
    bridge = urlsplit(settings.card_bridge_url)
    connect = []
    if bridge.scheme in ("http", "https") and bridge.netloc:
        connect.append(f"{bridge.scheme}://{bridge.netloc}")
    ancestors = ["'self'", *settings.embed_origin_list()]
    return page_policy.content_security_policy(host, connect, ancestors)
