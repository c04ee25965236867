"""Card-media login end to end: the web chat socket, the real bridge and pcscd with a virtual
card, the service's one-time challenge in Redis and the card registry in SQL, and the signed
identity Rasa receives."""

import base64
import datetime as dt
import time

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from sqlalchemy import inspect

from kernel.claims import Identity, Kind, Source
from kernel.messages import Role
from queue_service import db
from queue_service.identity import card_texts
from queue_service.identity.card_demo import DEMO_CARDS, demo_key
from queue_service.identity.card_keys import CardKey, KeyType
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus, RegisteredCard
from queue_service.identity.service import Identities
from queue_service.transcripts import TranscriptStore
from tests.card.conftest import in_days
from tests.integration.test_identity import ZHAO, chat, identity_sent, mint
from tests.support.eport_card import INITIAL_PIN, EcdsaKey, EportApplet
from tests.support.service import make_client, part
from tests.support.sm2_certificates import Sm2Key
from tests.support.webchat import open_chat

ENTERPRISE = ("ent-demo-1", "北京示例进出口有限公司")




def register(
    client: TestClient,
    applet: EportApplet,
    role: CardRole = CardRole.LEGAL,
    holder: str = "赵建国",
    status: CardStatus = CardStatus.ACTIVE,
    expires_at: dt.datetime | None = None,
    subject: str = ENTERPRISE[0],
) -> None:
    registry: CardRegistry = part(client, Identities).cards.registry
    card = RegisteredCard(
        card_number=applet.card_number,
        subject=subject,
        enterprise_name=ENTERPRISE[1],
        holder_name=holder,
        role=role,
        public_key_pem=applet.public_key_pem(),
        key_type=KeyType(applet.key.kind),
        status=status,
        expires_at=expires_at or applet.certificate.not_valid_after_utc,
    )
    client.portal.call(registry.register, card)


def challenge(ws, ttl_s: int = 60) -> str:
    ws.send_json({"type": "card_challenge"})
    frame = ws.receive_json()
    assert frame["type"] == "card_challenge"
    assert frame["expires_in"] == ttl_s
    return frame["challenge"]


def bridge_proof(bridge, challenge_text: str, pin: str = INITIAL_PIN) -> dict:
    answer = httpx.post(
        f"{bridge.url}/prove",
        json={"challenge": challenge_text, "pin": pin},
        headers=bridge.headers(),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def send_proof(ws, proof: dict) -> dict:
    ws.send_json({"type": "card_proof", "proof": proof})
    return ws.receive_json()


def card_login(ws, bridge) -> dict:
    return send_proof(ws, bridge_proof(bridge, challenge(ws)))


def test_a_legal_card_login_reaches_the_actions_signed(service, rasa, reader, new_card, bridge):
    applet = new_card(card_number="8911000012345")
    assert applet.key.kind == "sm2"  # the card signs with SM2 over SM3, as e-port cards do
    reader.insert(applet)
    register(service, applet)
    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        started = time.perf_counter()
        frame = card_login(ws, bridge)
        elapsed = time.perf_counter() - started
        assert frame["type"] == "identity", frame
        assert frame["identity"]["name"] == "赵建国"
        assert frame["identity"]["enterprise_name"] == "北京示例进出口有限公司"
        assert frame["identity"]["card"] == {"number": "8911****2345", "role": "legal"}
        # What agents see in the console names the card.
        assert frame["identity"]["label"] == "赵建国（北京示例进出口有限公司，法人卡）"
        welcome, pin_reminder = frame["notices"]
        assert "卡介质验证成功" in welcome and "法人卡" in welcome and "打印" in welcome
        assert pin_reminder == card_texts.INITIAL_PIN
        # Kept in the transcript: a reload shows them again, the agent sees how the user verified.
        history = service.portal.call(
            part(service, TranscriptStore).history, conversation_id, 10
        )
        assert [(m.role, m.text) for m in history[-2:]] == [
            (Role.SYSTEM, welcome),
            (Role.SYSTEM, pin_reminder),
        ]
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) == Identity(
            Kind.ENTERPRISE,
            "ent-demo-1",
            "赵建国",
            Source.CARD,
            "北京示例进出口有限公司",
            {"card_no": "8911000012345", "card_role": "legal"},
        )
    print(f"card login round trip (challenge, bridge + card, proof check): {elapsed * 1000:.0f} ms")
    assert elapsed < 5


def test_a_card_registered_with_ecdsa_logs_in_until_re_registered_with_sm2(
    service, reader, authority, bridge
):
    """A card registered before SM2 keeps working; its SM2 replacement works once re-registered
    (card_admin rekey), and from then on the ECDSA card no longer does."""
    number = "8911000067890"
    old = authority.issue(number, "赵建国", in_days(300), key=EcdsaKey())
    register(service, old)
    registry: CardRegistry = part(service, Identities).cards.registry
    assert service.portal.call(registry.get, number).key_type is KeyType.ECDSA_P256
    new = authority.issue(number, "赵建国", in_days(700))  # renewed: an SM2 key now
    with open_chat(service) as ws:
        ws.receive_json()
        reader.insert(old)
        assert card_login(ws, bridge)["identity"]["card"]["number"] == "8911****7890"
        reader.insert(new)
        assert card_login(ws, bridge)["reason"] == "wrong_key"
        key = CardKey.from_certificate(new.certificate)
        service.portal.call(registry.set_key, number, key, new.certificate.not_valid_after_utc)
        assert card_login(ws, bridge)["type"] == "identity"
        reader.insert(old)
        assert card_login(ws, bridge)["reason"] == "wrong_key"
    assert service.portal.call(registry.get, number).key_type is KeyType.SM2


def test_an_operator_card_login_says_what_needs_the_legal_card(
    service, rasa, reader, authority, bridge
):
    applet = authority.issue("8911000054321", "钱敏", in_days(600), pin="13572468")
    reader.insert(applet)
    register(service, applet, role=CardRole.OPERATOR, holder="钱敏")
    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        frame = send_proof(ws, bridge_proof(bridge, challenge(ws), pin="13572468"))
        assert frame["identity"]["card"]["role"] == "operator"
        assert frame["notices"] == [
            card_texts.WELCOME.format(
                who="钱敏（北京示例进出口有限公司）",
                role="操作员卡",
                number="8911****4321",
                can=card_texts.CAN_OPERATOR,
            )
        ]  # a changed PIN and a far expiry: no reminders
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id).extras["card_role"] == "operator"


def test_a_certificate_near_expiry_gets_a_reminder_with_how_to_extend(
    service, reader, new_card, bridge
):
    applet = new_card(days=30)
    reader.insert(applet)
    register(service, applet)
    with open_chat(service) as ws:
        ws.receive_json()
        frame = card_login(ws, bridge)
        reminder = frame["notices"][-1]
        assert "到期" in reminder and "法人卡自主延期" in reminder
        assert "还剩 29 天" in reminder or "还剩 30 天" in reminder


@pytest.mark.parametrize(
    ("status", "days", "reason", "words"),
    [
        (CardStatus.ACTIVE, -3, "expired", "过期"),
        (CardStatus.LOCKED, 300, "locked", "解锁免费"),
        (CardStatus.REVOKED, 300, "revoked", "已注销"),
    ],
)
def test_expired_locked_and_revoked_cards_are_refused_with_the_reason(
    service, rasa, reader, new_card, bridge, status, days, reason, words
):
    applet = new_card(days=days)
    reader.insert(applet)
    register(service, applet, status=status, expires_at=in_days(days))
    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        frame = card_login(ws, bridge)
        assert (frame["type"], frame["code"], frame["reason"]) == ("error", "card_refused", reason)
        assert words in frame["message"]
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) is None


def test_an_unregistered_card_is_refused(service, reader, new_card, bridge):
    reader.insert(new_card(card_number="8999000000007"))
    with open_chat(service) as ws:
        ws.receive_json()
        frame = card_login(ws, bridge)
        assert frame["reason"] == "unregistered"
        assert "8999****0007" in frame["message"] and "尚未在单一窗口登记" in frame["message"]


def test_a_challenge_is_good_once_for_its_own_conversation_and_for_60_s(
    service, reader, new_card, bridge
):
    applet = new_card()
    reader.insert(applet)
    register(service, applet)
    with open_chat(service) as ws:
        ws.receive_json()
        proof = bridge_proof(bridge, challenge(ws))
        assert send_proof(ws, proof)["type"] == "identity"
        replayed = send_proof(ws, proof)
        assert replayed["reason"] == "bad_challenge"
        assert "只能使用一次" in replayed["message"]
        # Another conversation's challenge, signed by the right card: refused too.
        with open_chat(service) as other:
            other.receive_json()
            stolen = bridge_proof(bridge, challenge(other))
        assert send_proof(ws, stolen)["reason"] == "bad_challenge"
        # A challenge left too long expires (the service's own TTL, shortened for the test).
        part(service, Identities).cards.challenges.ttl_s = 1
        late = bridge_proof(bridge, challenge(ws, ttl_s=1))
        time.sleep(1.5)
        assert send_proof(ws, late)["reason"] == "bad_challenge"


def test_a_signature_by_another_card_is_refused(service, reader, new_card, bridge):
    registered = new_card(card_number="8911000000111")
    register(service, registered)
    other = new_card(card_number="8911000000222")  # not registered, in the reader
    reader.insert(other)
    with open_chat(service) as ws:
        session = ws.receive_json()
        # The other card's proof, claiming the registered card's number...
        proof = {**bridge_proof(bridge, challenge(ws)), "card_number": "8911000000111"}
        assert send_proof(ws, proof)["reason"] == "wrong_key"
        # ... and with the registered card's (public) certificate too: the signature tells.
        forged = {
            **bridge_proof(bridge, challenge(ws)),
            "card_number": "8911000000111",
            "certificate": _b64(registered.certificate.public_bytes(serialization.Encoding.DER)),
        }
        frame = send_proof(ws, forged)
        assert frame["reason"] == "bad_signature"
        assert "签名验证未通过" in frame["message"]
        assert session["identity"] is None


def test_removing_the_card_ends_the_card_identity(service, rasa, reader, new_card, bridge):
    applet = new_card()
    reader.insert(applet)
    register(service, applet)
    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        # Logged in on the portal first; the card login goes over it, the removal back to it.
        ws.send_json({"type": "auth", "token": mint(service, ZHAO)})
        assert ws.receive_json()["identity"]["name"] == "赵建国"
        assert card_login(ws, bridge)["identity"]["card"]["role"] == "legal"
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id).source is Source.CARD
        reader.remove()
        ws.send_json({"type": "card_removed"})
        frame = ws.receive_json()
        assert frame["notices"] == [card_texts.REMOVED]
        assert "card" not in frame["identity"]
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) == ZHAO

    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        reader.insert(applet)
        card_login(ws, bridge)
        ws.send_json({"type": "card_removed"})
        assert ws.receive_json() == {
            "type": "identity",
            "identity": None,
            "notices": [card_texts.REMOVED],
        }
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) is None


def test_a_portal_logout_is_not_undone_by_taking_the_card_out(
    service, rasa, reader, new_card, bridge
):
    applet = new_card()
    reader.insert(applet)
    register(service, applet)
    with open_chat(service) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        ws.send_json({"type": "auth", "token": mint(service, ZHAO)})
        ws.receive_json()
        card_login(ws, bridge)  # keeps the portal login aside for after the card
        ws.send_json({"type": "logout"})
        assert ws.receive_json() == {"type": "identity", "identity": None}
        card_login(ws, bridge)
        ws.send_json({"type": "card_removed"})
        assert ws.receive_json()["identity"] is None
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) is None


def test_malformed_proofs_get_a_clear_answer(service):
    with open_chat(service) as ws:
        ws.receive_json()
        for proof in (None, "x", {"card_number": "1"}, {"card_number": "../x", "challenge": "a"}):
            frame = send_proof(ws, proof)
            assert (frame["code"], frame["reason"]) == ("card_refused", "malformed")
            assert "格式不正确" in frame["message"]


def test_the_demo_cards_are_registered_and_log_in(
    redis_process, database_url, rasa, reader, authority, bridge
):
    number, subject, enterprise, holder, role = DEMO_CARDS[0]
    assert (subject, role) == ("ent-demo-1", CardRole.LEGAL)
    applet = authority.issue(number, holder, in_days(700), key=Sm2Key(*demo_key(number)))
    reader.insert(applet)
    with make_client(redis_process.url, database_url, rasa.url) as client:
        with open_chat(client) as ws:
            ws.receive_json()
            frame = card_login(ws, bridge)
        assert frame["identity"]["enterprise_name"] == enterprise
        assert frame["identity"]["name"] == holder


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_the_migration_creates_the_cards_table_as_modelled(database_url) -> None:
    engine = db.create_engine(database_url)

    def differences(connection) -> list:
        context = MigrationContext.configure(connection)
        return [d for d in compare_metadata(context, db.Base.metadata) if "eport_cards" in repr(d)]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in inspect(sync).get_columns("eport_cards")]
        )
    await engine.dispose()
    assert {"card_number", "role", "public_key", "key_type", "status", "expires_at"} <= set(columns)


def test_challenges_are_limited_per_conversation(service):
    with open_chat(service) as ws:
        session_id = ws.receive_json()["conversation_id"]
        for _ in range(10):
            challenge(ws)
        ws.send_json({"type": "card_challenge"})
        assert ws.receive_json() == {
            "type": "error",
            "code": "card_busy",
            "message": card_texts.TOO_MANY_CHALLENGES,
        }
        ttl = service.portal.call(
            part(service, Redis).ttl, f"swa:limit:card-issued:webchat:{session_id}"
        )
        assert 0 < ttl <= 60
