"""Who each conversation is, as far as the hub has verified it.

Two sources, one answer per conversation:
- web chat: the portal token the page sent over its socket; the identity is kept in Redis until
  the token expires, then the conversation is anonymous again;
- other channels (WeChat, Telegram): a binding made with a one-time code, kept in SQL (the record
  that survives anything) and cached in Redis, so a turn costs one Redis read either way.

Redis layout:
  swa:hub:identity:<conversation id>   JSON {"claims": {...}, "exp": epoch s | null}, or "none"
                                       (a channel account known to be unbound); a portal login
                                       expires with its token, a cached binding after an hour
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.claims import Identity, Kind, Source
from kernel.conversation_ids import channel_of
from queue_service.db import ChannelBinding

log = logging.getLogger(__name__)

# Channels whose users prove who they are with the portal's token, never with a binding.
TOKEN_CHANNELS = frozenset({"webchat"})
# A cached binding (or its absence) is read again from SQL after this.
BINDING_CACHE_S = 3600
_UNBOUND = "none"


def identity_key(conversation_id: str) -> str:
    return f"swa:hub:identity:{conversation_id}"


def bindable(conversation_id: str) -> bool:
    return channel_of(conversation_id) not in TOKEN_CHANNELS


@dataclass(frozen=True)
class Verified:
    identity: Identity
    # Until when (epoch seconds) it holds; None for a binding, which holds until unbound.
    expires_at: int | None


def _encode(identity: Identity, expires_at: int | None) -> str:
    return json.dumps(
        {"claims": identity.to_claims(), "exp": expires_at}, ensure_ascii=False, sort_keys=True
    )


def _decode(raw: str) -> Verified | None:
    try:
        body = json.loads(raw)
        return Verified(Identity.from_claims(body["claims"]), body.get("exp"))
    except (KeyError, TypeError, ValueError):
        return None


def encode_verified(verified: Verified) -> str:
    """A verified identity as log_in stores it (and as events carry it)."""
    return _encode(verified.identity, verified.expires_at)


def decode_verified(raw: str) -> Verified | None:
    """A stored identity as written by log_in; None when it is not one."""
    return _decode(raw)


def _from_row(row: ChannelBinding) -> Identity:
    return Identity(
        kind=Kind(row.kind),
        subject=row.subject,
        name=row.name,
        source=Source.BINDING,
        enterprise_name=row.enterprise_name,
    )


class IdentityStore:
    def __init__(self, redis: Redis, sessions: async_sessionmaker) -> None:
        self._redis = redis
        self._sessions = sessions

    async def current(self, conversation_id: str) -> Verified | None:
        """The conversation's verified identity; None for an anonymous user."""
        key = identity_key(conversation_id)
        raw = await self._redis.get(key)
        if raw == _UNBOUND:
            return None
        if raw is not None:
            return _decode(raw)
        if not bindable(conversation_id):
            return None  # a web chat user who never logged in, or whose token has expired
        identity = await self.binding(conversation_id)
        # NX: a bind or unbind that ran meanwhile wrote the newer answer; it stands.
        value = _encode(identity, None) if identity else _UNBOUND
        await self._redis.set(key, value, ex=BINDING_CACHE_S, nx=True)
        return Verified(identity, None) if identity else None

    async def log_in(self, conversation_id: str, identity: Identity, expires_at: int) -> None:
        """A portal login, held until the token's expiry."""
        await self._redis.set(
            identity_key(conversation_id), _encode(identity, expires_at), exat=expires_at
        )

    async def log_out(self, conversation_id: str) -> None:
        await self._redis.delete(identity_key(conversation_id))

    async def binding(self, conversation_id: str) -> Identity | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ChannelBinding).where(ChannelBinding.conversation_id == conversation_id)
            )
        return _from_row(row) if row else None

    async def bind(self, conversation_id: str, identity: Identity) -> Identity:
        """Bind the channel account to the identity (replacing any earlier binding)."""
        bound = Identity(
            kind=identity.kind,
            subject=identity.subject,
            name=identity.name,
            source=Source.BINDING,
            enterprise_name=identity.enterprise_name,
        )
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(ChannelBinding).where(ChannelBinding.conversation_id == conversation_id)
            )
            session.add(
                ChannelBinding(
                    conversation_id=conversation_id,
                    kind=bound.kind.value,
                    subject=bound.subject,
                    name=bound.name,
                    enterprise_name=bound.enterprise_name,
                )
            )
        await self._redis.set(
            identity_key(conversation_id), _encode(bound, None), ex=BINDING_CACHE_S
        )
        return bound

    async def unbind(self, conversation_id: str) -> Identity | None:
        """Remove the binding; the identity it held, or None if there was none."""
        identity = await self.binding(conversation_id)
        # Redis first: should the SQL delete fail, the user is still anonymous from now on
        # (for an hour), rather than still identified after being told otherwise.
        await self._redis.set(identity_key(conversation_id), _UNBOUND, ex=BINDING_CACHE_S)
        if identity is not None:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    delete(ChannelBinding).where(ChannelBinding.conversation_id == conversation_id)
                )
        return identity
