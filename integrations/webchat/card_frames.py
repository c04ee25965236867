"""The web chat's card-media login frames, answered through the channel port's card login.

Kept apart from routes.py, which only dispatches: challenge, proof and removal each get one
answer frame (see the protocol in routes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel.claims import Source
from queue_service.identity import card_texts
from queue_service.identity.card_challenges import TooManyChallenges
from queue_service.identity.card_login import CARD_NO, CARD_ROLE
from queue_service.identity.cards import CardRefused
from queue_service.identity.routes import identity_view
from queue_service.identity.store import Verified
from queue_service.port import CardLoginOff, ChannelPort

CARD_CHALLENGE_FRAME = "card_challenge"
CARD_REMOVED_FRAME = "card_removed"


@dataclass(frozen=True)
class CardProof:
    proof: object  # checked by the card desk, which tells the user what is wrong with it


def identity_frame(verified: Verified | None, notices: list[str] | None = None) -> dict[str, Any]:
    view = identity_view(verified.identity, verified.expires_at) if verified else None
    if view is not None and verified is not None and verified.identity.source is Source.CARD:
        extras = verified.identity.extras
        view["card"] = {
            "number": card_texts.masked_number(extras.get(CARD_NO, "")),
            "role": extras.get(CARD_ROLE),
        }
    frame: dict[str, Any] = {"type": "identity", "identity": view}
    if notices:
        frame["notices"] = notices
    return frame


def _error(code: str, message: str, **extra: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}


async def answer(port: ChannelPort, conversation_id: str, frame: CardProof | str) -> dict[str, Any]:
    try:
        if frame == CARD_CHALLENGE_FRAME:
            issued = await port.card_challenge(conversation_id)
            return {
                "type": "card_challenge",
                "challenge": issued.challenge,
                "expires_in": issued.expires_in,
            }
        if isinstance(frame, CardProof):
            try:
                login = await port.card_proof(conversation_id, frame.proof)
            except CardRefused as exc:
                number = frame.proof.get("card_number") if isinstance(frame.proof, dict) else ""
                return _error(
                    "card_refused",
                    card_texts.refused(exc, number if isinstance(number, str) else ""),
                    reason=exc.reason.value,
                )
            return identity_frame(login.verified, login.texts)
        removed = await port.card_removed(conversation_id)
        return identity_frame(removed.verified, [card_texts.REMOVED] if removed.ended else None)
    except TooManyChallenges:
        return _error("card_busy", card_texts.TOO_MANY_CHALLENGES)
    except (CardLoginOff, RedisError, SQLAlchemyError):
        return _error("card_unavailable", card_texts.UNAVAILABLE)
