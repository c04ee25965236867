"""The chat page's Content-Security-Policy: what the page may load, run and talk to.

The page runs only its own scripts and styles, with nothing inline (index.html has no inline
script, style or event handler), so text that slipped into the page could not run; it talks
only to its own socket and to the card bridge on the user's PC (card.js fetches it); only this
service and the embedding sites (SWA_EMBED_ORIGINS) may frame it (clickjacking).
"""

import re
from urllib.parse import urlsplit

from queue_service.settings import Settings

# A host name as a Host header may carry it (name or address, port); anything else is left out
# of the policy rather than let into it.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def content_security_policy(settings: Settings, host: str) -> str:
    """The policy for the page as served to `host` (the Host header: where its socket is)."""
    bridge = urlsplit(settings.card_bridge_url)
    connect = ["'self'"]
    if _HOST.fullmatch(host):
        connect += [f"ws://{host}", f"wss://{host}"]
    if bridge.scheme in ("http", "https") and bridge.netloc:
        connect.append(f"{bridge.scheme}://{bridge.netloc}")
    ancestors = ["'self'", *settings.embed_origin_list()]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {' '.join(connect)}",
            "img-src 'self' data:",
            f"frame-ancestors {' '.join(ancestors)}",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )
