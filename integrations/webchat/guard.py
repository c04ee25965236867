"""What keeps the public web chat socket from being abused: who may open it, how many at once,
and how fast a connection may send.

- Origin (queue_service/origins.py): only pages of this service (its public URL, or the host
  the browser connected to) and the sites in SWA_EMBED_ORIGINS may open the socket; anything
  else, or no Origin at all, is refused before the handshake completes. The embed widget
  (embed.js) loads the chat page in an iframe from this service, so its socket comes from this
  service's own origin. A script outside a browser can name any Origin: this stops other sites
  from running the chat in their visitors' browsers, the rate limits below stop scripts.
- Connections per client address, counted on accept and released on close. Counted per service
  instance (a proxy's limit_conn covers a cluster); set it well above what one office behind one
  NAT address needs.
- Per connection, token buckets for user messages (each one a bot turn), typing notices and
  login frames (portal tokens, card challenges and proofs), each with its own pace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from queue_service.limits import TokenBucket
from queue_service.settings import Settings


class ConnectionCap:
    """At most `limit` open sockets per client address in this service instance."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def open(self, client: str) -> bool:
        """Count a socket for the client; False (and nothing counted) when it is at the cap."""
        if self._open[client] >= self.limit:
            return False
        self._open[client] += 1
        return True

    def close(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]


@dataclass
class Pacing:
    """One connection's buckets: messages, typing notices, login frames."""

    messages: TokenBucket
    typing: TokenBucket
    logins: TokenBucket

    @classmethod
    def from_settings(cls, settings: Settings) -> Pacing:
        return cls(
            messages=TokenBucket(settings.webchat_messages_per_s, settings.webchat_message_burst),
            typing=TokenBucket(settings.webchat_typing_per_s, settings.webchat_typing_burst),
            logins=TokenBucket(settings.webchat_logins_per_s, settings.webchat_login_burst),
        )
