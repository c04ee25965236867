"""The Content-Security-Policy of the service's pages: what a page may load, run and talk to.

Each page runs only its own scripts and styles (ES modules from this service), with nothing
inline, so text that slipped into the page could not run; it talks to this service, over HTTP
and its websocket, and to the origins a page adds (the chat page: the card bridge on the user's
PC); only the origins it names may frame it (clickjacking).
"""

import re
from collections.abc import Iterable

# A host name as a Host header may carry it (name or address, port); anything else is left out
# of the policy rather than let into it.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def content_security_policy(
    host: str, connect: Iterable[str] = (), frame_ancestors: Iterable[str] = ("'none'",)
) -> str:
    """The policy for a page as served to `host` (the Host header: where its socket is)."""
    connect_src = ["'self'"]
    if _HOST.fullmatch(host):
        connect_src += [f"ws://{host}", f"wss://{host}"]
    connect_src += connect
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {' '.join(connect_src)}",
            "img-src 'self' data:",
            f"frame-ancestors {' '.join(frame_ancestors)}",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )
