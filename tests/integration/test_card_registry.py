"""Cards registered before SM2, in a database brought from migration 0007 to the newest: their
rows become ECDSA P-256 registrations that keep logging in, and the earlier demo cards' rows are
recognised as demo rows (locked outside demo mode, moved to SM2 in a demo). Real SQL, both
databases."""

import asyncio
import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import nullcontext

import pytest
from alembic import command
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text

from kernel.card_protocol import signed_message
from kernel.sql import alembic_config
from queue_service import db
from queue_service.identity import card_demo
from queue_service.identity.card_keys import KeyType
from queue_service.identity.cards import CardRegistry, CardStatus, Proof, check
from tests.conftest import _postgres_database
from tests.support.eport_card import CardAuthority, EcdsaKey, EportApplet
from tests.support.sm2_certificates import Sm2Key

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CHALLENGE = "UmVnaXN0ZXJlZCBiZWZvcmUgU00yIGFuZCBzdGlsbCB3b3Jr"
INSERT = text(
    "INSERT INTO eport_cards (card_number, subject, enterprise_name, holder_name, role, "
    "public_key, status, expires_at, registered_at) VALUES (:number, 'ent-demo-1', "
    "'北京示例进出口有限公司', '赵建国', 'legal', :pem, 'active', :expires, :expires)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0007(request, tmp_path) -> Iterator[str]:
    """A new database whose schema stops at migration 0007, as before SM2."""
    if request.param == "sqlite":
        database = nullcontext(f"sqlite+aiosqlite:///{tmp_path / 'before-sm2.db'}")
    else:
        database = _postgres_database()
    with database as url:
        command.upgrade(alembic_config(url, db.MIGRATIONS_DIR), "0007")
        yield url


def earlier_demo_pem(number: str) -> str:
    """The demo card's ECDSA key before SM2, as it was derived (from its number, in the open)."""
    digest = hashlib.sha256(f"swa-demo-card:{number}".encode()).digest()
    key = ec.derive_private_key(int.from_bytes(digest, "big"), ec.SECP256R1()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def proof(applet: EportApplet) -> Proof:
    der = applet.certificate.public_bytes(serialization.Encoding.DER)
    signature = applet.key.sign(signed_message(CHALLENGE))
    return Proof.parse(
        {
            "card_number": applet.card_number,
            "certificate": base64.b64encode(der).decode(),
            "challenge": CHALLENGE,
            "signature": base64.b64encode(signature).decode(),
        }
    )


async def test_cards_registered_before_sm2_keep_their_ecdsa_keys(database_at_0007) -> None:
    ecdsa = CardAuthority().issue(
        "8911000013579", "赵建国", NOW + dt.timedelta(days=300), EcdsaKey()
    )
    demo_numbers = [number for number, *_ in card_demo.DEMO_CARDS]
    engine = db.create_engine(database_at_0007)
    async with engine.begin() as connection:
        for number, pem in [
            (ecdsa.card_number, ecdsa.public_key_pem()),
            *((number, earlier_demo_pem(number)) for number in demo_numbers),
        ]:
            await connection.execute(
                INSERT,
                {"number": number, "pem": pem, "expires": ecdsa.certificate.not_valid_after_utc},
            )
    await engine.dispose()

    await asyncio.to_thread(db.upgrade, database_at_0007)  # Alembic runs its own event loop
    engine = db.create_engine(database_at_0007)
    registry = CardRegistry(db.session_factory(engine))
    try:
        card = await registry.get(ecdsa.card_number)
        assert card is not None and card.key_type is KeyType.ECDSA_P256
        assert check(card, proof(ecdsa), NOW) == card

        # Outside demo mode the earlier demo keys are locked too: they were public all along.
        assert await card_demo.disable(registry) == len(demo_numbers)
        assert {(await registry.get(n)).status for n in demo_numbers} == {CardStatus.LOCKED}
        # In a demo they move to the published SM2 keys, and a demo card logs in with SM2.
        assert await card_demo.seed(registry) == 0
        number, _subject, _enterprise, holder, _role = card_demo.DEMO_CARDS[0]
        demo = await registry.get(number)
        assert (demo.status, demo.key_type) == (CardStatus.ACTIVE, KeyType.SM2)
        applet = CardAuthority().issue(
            number, holder, NOW + dt.timedelta(days=700), Sm2Key(*card_demo.demo_key(number))
        )
        assert check(demo, proof(applet), NOW) == demo
        assert (await registry.get(ecdsa.card_number)).status is CardStatus.ACTIVE  # not a demo
    finally:
        await engine.dispose()
