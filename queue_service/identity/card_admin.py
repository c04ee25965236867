"""Register e-port cards and change their status from the command line (the card centre's desk).

    python -m queue_service.identity.card_admin register CARD_NUMBER --certificate card.pem
        --subject ent-001 --enterprise 北京示例进出口有限公司 --holder 张三 --role legal
    python -m queue_service.identity.card_admin rekey CARD_NUMBER --certificate new.pem
    python -m queue_service.identity.card_admin show CARD_NUMBER
    python -m queue_service.identity.card_admin lock CARD_NUMBER       # reported lost, say
    python -m queue_service.identity.card_admin unlock CARD_NUMBER
    python -m queue_service.identity.card_admin revoke CARD_NUMBER     # replaced or cancelled

The public key and the expiry are read from the card's certificate (PEM or DER), as the card
centre issued it: an SM2 key (id-ecPublicKey on sm2p256v1, GM/T 0015), or an ECDSA P-256 one.
A card logs in only with the key registered here. `rekey` registers the key and expiry of a
card's new certificate (renewed, or SM2 in place of ECDSA), keeping everything else. The
database is the service's (SWA_DATABASE_URL); its schema is brought up to date first.

Lock and revoke also end the card's live sessions at once, through the service's Redis
(SWA_REDIS_URL): the web chats using the card fall back to the login it replaced, or anonymous,
and are told why. When Redis cannot be reached the status is still changed in SQL, the command
says so and exits with status 2, and the sessions end at their next turn (card_login.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography import x509
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from queue_service import cli, db
from queue_service.bus import Bus
from queue_service.identity.card_challenges import CardChallenges
from queue_service.identity.card_keys import CardKey
from queue_service.identity.card_login import CardDesk
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus, RegisteredCard
from queue_service.identity.store import IdentityStore
from queue_service.settings import get_settings

STATUS_OF = {"lock": CardStatus.LOCKED, "unlock": CardStatus.ACTIVE, "revoke": CardStatus.REVOKED}
REDIS_CONNECT_TIMEOUT_S = 5


class AdminError(Exception):
    """Something the operator must fix; printed without a traceback."""


def _certificate(path: Path) -> tuple[x509.Certificate, CardKey]:
    """The certificate in the file and the card's key in it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise AdminError(f"{path} is not an X.509 certificate") from exc
    try:
        return certificate, CardKey.from_certificate(certificate)
    except ValueError as exc:
        raise AdminError(f"the certificate's key cannot be registered: {exc}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m queue_service.identity.card_admin", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register an issued card")
    register.add_argument("card_number")
    register.add_argument("--certificate", type=Path, required=True, help="PEM or DER file")
    register.add_argument("--subject", required=True, help="the enterprise's records owner id")
    register.add_argument("--enterprise", required=True, help="the enterprise's name")
    register.add_argument("--holder", required=True, help="the card holder's name")
    register.add_argument("--role", choices=[r.value for r in CardRole], required=True)
    rekey = commands.add_parser("rekey", help="register the key of a card's new certificate")
    rekey.add_argument("card_number")
    rekey.add_argument("--certificate", type=Path, required=True, help="PEM or DER file")
    for name in ("show", *STATUS_OF):
        commands.add_parser(name).add_argument("card_number")
    return parser


def _describe(card: RegisteredCard) -> str:
    return (
        f"{card.card_number} {card.role.label} {card.status.value} "
        f"{card.enterprise_name} ({card.subject}) {card.holder_name} "
        f"expires {card.expires_at:%Y-%m-%d} key {card.key_type.value}"
    )


async def _end_sessions(
    sessions: async_sessionmaker, registry: CardRegistry, card_number: str, status: CardStatus
) -> int:
    """End the card's live sessions in the service's Redis; how many there were."""
    settings = get_settings()
    redis = settings.redis_client(timeout_s=REDIS_CONNECT_TIMEOUT_S)
    try:
        store = IdentityStore(redis, sessions)
        desk = CardDesk(redis, store, CardChallenges(redis), registry, Bus(redis))
        return await desk.card_disabled(card_number, status)
    except RedisError as exc:
        raise AdminError(
            f"card {card_number} is {status.value} in the database, but its live sessions were "
            f"not ended: cannot reach Redis (SWA_REDIS_URL): {exc}; they end at their next turn, "
            f"within {settings.card_status_check_s:g} s"
        ) from exc
    finally:
        await redis.aclose()


async def _run(args: argparse.Namespace, url: str) -> str:
    engine = db.create_engine(url)
    try:
        sessions = db.session_factory(engine)
        registry = CardRegistry(sessions)
        if args.command == "register":
            certificate, key = _certificate(args.certificate)
            card = RegisteredCard(
                card_number=args.card_number,
                subject=args.subject,
                enterprise_name=args.enterprise,
                holder_name=args.holder,
                role=CardRole(args.role),
                public_key_pem=key.pem(),
                key_type=key.type,
                status=CardStatus.ACTIVE,
                expires_at=certificate.not_valid_after_utc,
            )
            try:
                await registry.register(card)
            except IntegrityError as exc:
                raise AdminError(f"card {args.card_number} is already registered") from exc
            return f"registered {_describe(card)}"
        card = await registry.get(args.card_number)
        if card is None:
            raise AdminError(f"card {args.card_number} is not registered")
        if args.command == "show":
            return _describe(card)
        if args.command == "rekey":
            certificate, key = _certificate(args.certificate)
            await registry.set_key(card.card_number, key, certificate.not_valid_after_utc)
            return f"re-registered {_describe(await registry.get(card.card_number))}"
        status = STATUS_OF[args.command]
        await registry.set_status(card.card_number, status)
        changed = f"{card.card_number}: {card.status.value} -> {status.value}"
        if status is CardStatus.ACTIVE:
            return changed
        ended = await _end_sessions(sessions, registry, card.card_number, status)
        return f"{changed}; live sessions ended: {ended}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli.run(_parser(), _run, AdminError, argv)


if __name__ == "__main__":
    sys.exit(main())
