"""Demo registered cards for the demo enterprises (actions/records/demo.py: ent-demo-1, -2).

Registered (or re-activated) at start-up in demo mode (SWA_DEMO_MODE), and locked at start-up
outside it: their SM2 key pairs are published below, so anyone can make a virtual card that
passes as a demo card, exactly as anyone can log in to the demo portal. A database that once ran
a demo must not keep honouring them. Real cards are registered with the public key from the card
centre; a real card that happens to have a demo number keeps working, since only rows holding a
demo key are touched. Before SM2 the demo cards had ECDSA P-256 keys derived from the card
number: rows still holding those are demo rows too (moved to SM2 in a demo, locked outside it).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from queue_service.identity.card_keys import CardKey, KeyType
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus, RegisteredCard

# (card number, enterprise id, enterprise, holder, role)
DEMO_CARDS: tuple[tuple[str, str, str, str, CardRole], ...] = (
    ("8911000000001", "ent-demo-1", "北京示例进出口有限公司", "赵建国", CardRole.LEGAL),
    ("8911000000002", "ent-demo-1", "北京示例进出口有限公司", "钱敏", CardRole.OPERATOR),
    ("8912000000001", "ent-demo-2", "天津示例国际物流有限公司", "孙丽", CardRole.LEGAL),
    ("8912000000002", "ent-demo-2", "天津示例国际物流有限公司", "周强", CardRole.OPERATOR),
)
DEMO_VALIDITY = dt.timedelta(days=730)
# The demo cards' SM2 key pairs: d, and the public point's X||Y (made with gmssl_pyx's
# sm2_key_generate). Published on purpose: demo only, as public as the demo portal's login.
DEMO_KEYS: dict[str, tuple[str, str]] = {
    "8911000000001": (
        "170481155bba9267290eaf8b4f7c7f8636daf935623ea42306dec4d68a37628d",
        "d1626a2047a425380703fe6c4c0f02421ab4482c048f0882d7aabbda1cb200cf"
        "642a8c45d9cc78b5badb13367d264865330b48a3b200549c17344afb593f9bac",
    ),
    "8911000000002": (
        "2e9e34b95d4483aa18d414012049e957fb16d34bec4b95ba86d376029ab98051",
        "9c0e0730315f4957fbe6cdfc88646755adc7696c6529dd33117d734c887b44ca"
        "767826767bbbad87536d43f12c0a68dc41289a037e1560efd987ee117fd641ea",
    ),
    "8912000000001": (
        "5c30e2218173492f06cdcb9950a7134cf6686989ab760c9031c6672f682dd40f",
        "4058f4016e042ae9748e49d3d24f6d9aa30d0a9e77f7ca7b807ddd2e70a82b81"
        "8c1920577268acbc8ac493d356aa29849619c4d14e6207cf729a92fb0185fe68",
    ),
    "8912000000002": (
        "36bd1c308b81b0353b41de89e228eb38cd5eb37a4608956be58188c81403753d",
        "a5f95aa8e040c9002e849d3850165793e06ee230f871ccf37b5e3d9aedb3fa88"
        "9b09a85a100ac20edc5466c5aeb84421d24ef24bb7e2a267c2ead17aab1ed4e6",
    ),
}


def demo_key(card_number: str) -> tuple[bytes, bytes]:
    """The demo card's SM2 key pair: d (32 bytes), X||Y (64 bytes)."""
    private, public = DEMO_KEYS[card_number]
    return bytes.fromhex(private), bytes.fromhex(public)


def _earlier_demo_pem(card_number: str) -> str:
    """The ECDSA P-256 key the demo card had before SM2, derived in the open from its number."""
    digest = hashlib.sha256(f"swa-demo-card:{card_number}".encode()).digest()
    key = ec.derive_private_key(int.from_bytes(digest, "big"), ec.SECP256R1()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def demo_cards(now: dt.datetime) -> list[RegisteredCard]:
    return [
        RegisteredCard(
            card_number=number,
            subject=subject,
            enterprise_name=enterprise,
            holder_name=holder,
            role=role,
            public_key_pem=CardKey(KeyType.SM2, b"\x04" + demo_key(number)[1]).pem(),
            key_type=KeyType.SM2,
            status=CardStatus.ACTIVE,
            expires_at=now + DEMO_VALIDITY,
        )
        for number, subject, enterprise, holder, role in DEMO_CARDS
    ]


async def seed(registry: CardRegistry, now: dt.datetime | None = None) -> int:
    """Register the demo cards not registered yet, re-activate those locked by `disable`, and
    move those on their earlier ECDSA key to SM2; how many were added."""
    added = 0
    for card in demo_cards(now or dt.datetime.now(dt.UTC)):
        registered = await registry.get(card.card_number)
        if registered is None:
            await registry.register(card)
            added += 1
            continue
        if registered.public_key_pem == _earlier_demo_pem(card.card_number):
            key = CardKey.from_pem(card.public_key_pem)
            await registry.set_key(card.card_number, key, card.expires_at)
        elif registered.public_key_pem != card.public_key_pem:
            continue  # a real card with a demo number
        await registry.set_status(card.card_number, CardStatus.ACTIVE)
    return added


async def disable(registry: CardRegistry) -> int:
    """Lock every registered demo card (outside demo mode); how many were active."""
    locked = 0
    for card in demo_cards(dt.datetime.now(dt.UTC)):
        registered = await registry.get(card.card_number)
        if (
            registered is not None
            and registered.public_key_pem
            in (card.public_key_pem, _earlier_demo_pem(card.card_number))
            and registered.status is CardStatus.ACTIVE
        ):
            await registry.set_status(card.card_number, CardStatus.LOCKED)
            locked += 1
    return locked
