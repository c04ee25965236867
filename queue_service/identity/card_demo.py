"""Demo registered cards for the demo enterprises (actions/records/demo.py: ent-demo-1, -2).

Registered (or re-activated) at start-up in demo mode (SWA_DEMO_MODE), and locked at start-up
outside it: their keys are derived from the card number, in the open, so anyone can make a
virtual card that passes as a demo card, exactly as anyone can log in to the demo portal. A
database that once ran a demo must not keep honouring them. Real cards are registered with the
public key from the card centre; a real card that happens to have a demo number keeps working,
since only rows holding the demo key are touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.hazmat.primitives.asymmetric import ec

from queue_service.identity.cards import (
    CardRegistry,
    CardRole,
    CardStatus,
    RegisteredCard,
    public_key_pem,
)

# (card number, enterprise id, enterprise, holder, role)
DEMO_CARDS: tuple[tuple[str, str, str, str, CardRole], ...] = (
    ("8911000000001", "ent-demo-1", "北京示例进出口有限公司", "赵建国", CardRole.LEGAL),
    ("8911000000002", "ent-demo-1", "北京示例进出口有限公司", "钱敏", CardRole.OPERATOR),
    ("8912000000001", "ent-demo-2", "天津示例国际物流有限公司", "孙丽", CardRole.LEGAL),
    ("8912000000002", "ent-demo-2", "天津示例国际物流有限公司", "周强", CardRole.OPERATOR),
)
DEMO_VALIDITY = dt.timedelta(days=730)


def demo_private_key(card_number: str) -> ec.EllipticCurvePrivateKey:
    """The demo card's key, derived from its number (demo only: public by construction)."""
    digest = hashlib.sha256(f"swa-demo-card:{card_number}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big"), ec.SECP256R1())


def demo_cards(now: dt.datetime) -> list[RegisteredCard]:
    return [
        RegisteredCard(
            card_number=number,
            subject=subject,
            enterprise_name=enterprise,
            holder_name=holder,
            role=role,
            public_key_pem=public_key_pem(demo_private_key(number).public_key()),
            status=CardStatus.ACTIVE,
            expires_at=now + DEMO_VALIDITY,
        )
        for number, subject, enterprise, holder, role in DEMO_CARDS
    ]


async def seed(registry: CardRegistry, now: dt.datetime | None = None) -> int:
    """Register the demo cards not registered yet, and re-activate those locked by `disable`;
    how many were added."""
    added = 0
    for card in demo_cards(now or dt.datetime.now(dt.UTC)):
        registered = await registry.get(card.card_number)
        if registered is None:
            await registry.register(card)
            added += 1
        elif registered.public_key_pem == card.public_key_pem:
            await registry.set_status(card.card_number, CardStatus.ACTIVE)
    return added


async def disable(registry: CardRegistry) -> int:
    """Lock every registered demo card (outside demo mode); how many were active."""
    locked = 0
    for card in demo_cards(dt.datetime.now(dt.UTC)):
        registered = await registry.get(card.card_number)
        if (
            registered is not None
            and registered.public_key_pem == card.public_key_pem
            and registered.status is CardStatus.ACTIVE
        ):
            await registry.set_status(card.card_number, CardStatus.LOCKED)
            locked += 1
    return locked
