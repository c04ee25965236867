"""The card centre's command line: register a card from its certificate, show, lock, unlock and
revoke it, with clear errors for what the operator must fix."""

import asyncio
import datetime as dt
import os
import subprocess
import sys

from cryptography.hazmat.primitives import serialization

from queue_service import db
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus, public_key_pem
from stack.paths import ROOT
from tests.support.eport_card import CardAuthority


def test_register_show_lock_unlock_and_revoke(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "queue_service.identity.card_admin", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)

    expiry = dt.datetime(2028, 6, 30, tzinfo=dt.UTC)
    card = CardAuthority().issue("8800001234567", "张三", expiry)
    pem = tmp_path / "card.pem"
    pem.write_bytes(card.certificate.public_bytes(serialization.Encoding.PEM))
    register = [
        "register", "8800001234567", "--certificate", str(pem), "--subject", "ent-demo-1",
        "--enterprise", "北京示例进出口有限公司", "--holder", "张三", "--role", "legal",
    ]
    done = run(*register)
    assert done.returncode == 0, done.stderr
    assert "8800001234567 法人卡 active 北京示例进出口有限公司" in done.stdout
    assert "expires 2028-06-30" in done.stdout
    assert run(*register).returncode == 2  # once only
    assert "already registered" in run(*register).stderr

    assert run("lock", "8800001234567").stdout.strip() == "8800001234567: active -> locked"
    assert run("unlock", "8800001234567").stdout.strip() == "8800001234567: locked -> active"
    assert run("revoke", "8800001234567").returncode == 0
    missing = run("lock", "8800009999999")
    assert missing.returncode == 2 and "not registered" in missing.stderr
    not_a_certificate = tmp_path / "note.txt"
    not_a_certificate.write_text("法人卡")
    bad = run(*register[:3], str(not_a_certificate), *register[4:])
    assert bad.returncode == 2 and "not an X.509 certificate" in bad.stderr

    async def registered():
        engine = db.create_engine(url)
        try:
            return await CardRegistry(db.session_factory(engine)).get("8800001234567")
        finally:
            await engine.dispose()

    stored = asyncio.run(registered())
    assert stored is not None
    assert (stored.role, stored.status, stored.expires_at) == (
        CardRole.LEGAL,
        CardStatus.REVOKED,
        expiry,
    )
    assert stored.public_key_pem == public_key_pem(card.private_key.public_key())
