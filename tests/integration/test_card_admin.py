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
from tests.support.servers import free_port


def test_register_show_lock_unlock_and_revoke(tmp_path, redis_process) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url, "SWA_REDIS_URL": redis_process.url}

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

    assert run("lock", "8800001234567").stdout.strip() == (
        "8800001234567: active -> locked; live sessions ended: 0"
    )
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


def test_a_lock_without_redis_is_made_in_sql_and_says_the_sessions_were_not_ended(
    tmp_path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}"
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    env = {**os.environ, "SWA_DATABASE_URL": url, "SWA_REDIS_URL": nobody}
    pem = tmp_path / "card.pem"
    card = CardAuthority().issue("8800007654321", "李四", dt.datetime(2028, 6, 30, tzinfo=dt.UTC))
    pem.write_bytes(card.certificate.public_bytes(serialization.Encoding.PEM))

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "queue_service.identity.card_admin", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)

    register = [
        "register", "8800007654321", "--certificate", str(pem), "--subject", "ent-demo-2",
        "--enterprise", "上海示例物流有限公司", "--holder", "李四", "--role", "operator",
    ]
    assert run(*register).returncode == 0  # registering needs no Redis
    locked = run("lock", "8800007654321")
    assert locked.returncode == 2
    [line] = locked.stderr.strip().splitlines()
    assert line.startswith("error: card 8800007654321 is locked in the database")
    assert "live sessions were not ended" in line and "SWA_REDIS_URL" in line
    assert "Traceback" not in locked.stderr
    assert run("show", "8800007654321").stdout.split()[2] == "locked"
