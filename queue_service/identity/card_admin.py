"""Register e-port cards and change their status from the command line (the card centre's desk).

    python -m queue_service.identity.card_admin register CARD_NUMBER --certificate card.pem
        --subject ent-001 --enterprise 北京示例进出口有限公司 --holder 张三 --role legal
    python -m queue_service.identity.card_admin show CARD_NUMBER
    python -m queue_service.identity.card_admin lock CARD_NUMBER       # reported lost, say
    python -m queue_service.identity.card_admin unlock CARD_NUMBER
    python -m queue_service.identity.card_admin revoke CARD_NUMBER     # replaced or cancelled

The public key and the expiry are read from the card's certificate (PEM or DER), as the card
centre issued it; a card logs in only with the key registered here. The database is the
service's (SWA_DATABASE_URL); its schema is brought up to date first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError

from queue_service import cli, db
from queue_service.identity.cards import (
    CardRegistry,
    CardRole,
    CardStatus,
    RegisteredCard,
    public_key_pem,
)

STATUS_OF = {"lock": CardStatus.LOCKED, "unlock": CardStatus.ACTIVE, "revoke": CardStatus.REVOKED}


class AdminError(Exception):
    """Something the operator must fix; printed without a traceback."""


def _certificate(path: Path) -> x509.Certificate:
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
    if not isinstance(certificate.public_key(), ec.EllipticCurvePublicKey):
        raise AdminError("the certificate's key is not an EC key (P-256 expected)")
    return certificate


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
    for name in ("show", *STATUS_OF):
        commands.add_parser(name).add_argument("card_number")
    return parser


def _describe(card: RegisteredCard) -> str:
    return (
        f"{card.card_number} {card.role.label} {card.status.value} "
        f"{card.enterprise_name} ({card.subject}) {card.holder_name} "
        f"expires {card.expires_at:%Y-%m-%d}"
    )


async def _run(args: argparse.Namespace, url: str) -> str:
    engine = db.create_engine(url)
    try:
        registry = CardRegistry(db.session_factory(engine))
        if args.command == "register":
            certificate = _certificate(args.certificate)
            card = RegisteredCard(
                card_number=args.card_number,
                subject=args.subject,
                enterprise_name=args.enterprise,
                holder_name=args.holder,
                role=CardRole(args.role),
                public_key_pem=public_key_pem(certificate.public_key()),
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
        await registry.set_status(card.card_number, STATUS_OF[args.command])
        return f"{card.card_number}: {card.status.value} -> {STATUS_OF[args.command].value}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli.run(_parser(), _run, AdminError, argv)


if __name__ == "__main__":
    sys.exit(main())
