"""The card centre's command line: register a card from its certificate (SM2 or ECDSA P-256),
re-register its new certificate, show, lock, unlock and revoke it, with clear errors for what the
operator must fix."""

import asyncio
import datetime as dt
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from queue_service import db
from queue_service.identity.card_keys import CardKey, KeyType
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus
from stack.paths import ROOT
from tests.support.eport_card import CA_NAME, CardAuthority, EcdsaKey
from tests.support.servers import free_port
from tests.support.sm2_certificates import SM2_OID_SPKI_PREFIX, SM2_SPKI_PREFIX, sm2_certificate


def test_register_show_lock_unlock_and_revoke(tmp_path, redis_process) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url, "SWA_REDIS_URL": redis_process.url}

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "queue_service.identity.card_admin", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)

    expiry = dt.datetime(2028, 6, 30, tzinfo=dt.UTC)
    card = CardAuthority().issue("8800001234567", "张三", expiry)  # an SM2 card
    pem = tmp_path / "card.pem"
    pem.write_bytes(card.certificate.public_bytes(serialization.Encoding.PEM))
    register = [
        "register", "8800001234567", "--certificate", str(pem), "--subject", "ent-demo-1",
        "--enterprise", "北京示例进出口有限公司", "--holder", "张三", "--role", "legal",
    ]
    done = run(*register)
    assert done.returncode == 0, done.stderr
    assert "8800001234567 法人卡 active 北京示例进出口有限公司" in done.stdout
    assert "expires 2028-06-30 key sm2" in done.stdout
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
    assert stored.key_type is KeyType.SM2
    assert CardKey.from_pem(stored.public_key_pem).point == b"\x04" + card.key.public


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


def test_either_kind_is_registered_and_a_new_certificate_re_registers_the_card(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url}
    authority = CardAuthority()

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "queue_service.identity.card_admin", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)

    def written(certificate: x509.Certificate, name: str) -> str:
        path = tmp_path / name
        path.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
        return str(path)

    expiry = dt.datetime(2027, 3, 31, tzinfo=dt.UTC)
    old = authority.issue("8800002468024", "王五", expiry, key=EcdsaKey())
    done = run(
        "register", "8800002468024", "--certificate", written(old.certificate, "old.der"),
        "--subject", "ent-demo-2", "--enterprise", "天津示例国际物流有限公司", "--holder", "王五",
        "--role", "operator",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("expires 2027-03-31 key ecdsa-p256")
    new = authority.issue("8800002468024", "王五", dt.datetime(2029, 3, 31, tzinfo=dt.UTC))
    done = run("rekey", "8800002468024", "--certificate", written(new.certificate, "new.der"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "re-registered 8800002468024 操作员卡 active 天津示例国际物流有限公司 (ent-demo-2) 王五 "
        "expires 2029-03-31 key sm2"
    )
    missing = run("rekey", "8800009999999", "--certificate", written(new.certificate, "n.der"))
    assert missing.returncode == 2 and "not registered" in missing.stderr

    # Keys that cannot be registered, each with the reason and no traceback.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "王五")])
    expiry = dt.datetime(2029, 3, 31, tzinfo=dt.UTC)

    def sm2_issued(spki: bytes) -> x509.Certificate:
        return sm2_certificate(authority.sm2_key, CA_NAME, subject, spki, expiry)

    x, y = new.key.public[:32], int.from_bytes(new.key.public[32:], "big")
    p384 = ec.generate_private_key(ec.SECP384R1())
    refused = {
        "sm2-oid.der": (
            sm2_issued(SM2_OID_SPKI_PREFIX + new.key.public),  # the sm2 OID as the algorithm
            "not an EC key (SM2 or P-256 expected)",
        ),
        "off-curve.der": (
            sm2_issued(SM2_SPKI_PREFIX + x + ((y + 1) % 2**256).to_bytes(32, "big")),
            "not a point on the SM2 curve",
        ),
        "p384.der": (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(CA_NAME)
            .public_key(p384.public_key())
            .serial_number(1)
            .not_valid_before(expiry - dt.timedelta(days=1))
            .not_valid_after(expiry)
            .sign(p384, hashes.SHA256()),
            "a key on curve 1.3.132.0.34 (SM2 or P-256 expected)",
        ),
    }
    for name, (certificate, reason) in refused.items():
        done = run("rekey", "8800002468024", "--certificate", written(certificate, name))
        assert done.returncode == 2, name
        assert done.stderr.strip() == f"error: the certificate's key cannot be registered: {reason}"
    assert run("show", "8800002468024").stdout.strip().endswith("key sm2")  # unchanged
