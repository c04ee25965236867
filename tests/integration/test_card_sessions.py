"""A card locked or revoked at the card centre ends its live sessions: at once through the card
centre's command line, and within the status-check interval when only SQL was changed. Real
Redis and SQL; the card's proof is made in software with the card's key (the bridge and PC/SC
are tested in tests/card)."""

import base64
import datetime as dt
import os
import secrets
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives import serialization
from redis.asyncio import Redis

from kernel.card_protocol import signed_message
from kernel.claims import Source
from queue_service import db
from queue_service.identity import card_texts
from queue_service.identity.card_challenges import CardChallenges
from queue_service.identity.card_keys import KeyType
from queue_service.identity.card_login import CardDesk
from queue_service.identity.cards import CardRegistry, CardRole, CardStatus, RegisteredCard
from queue_service.identity.service import Identities
from queue_service.identity.store import IdentityStore
from stack.paths import ROOT
from tests.integration.test_identity import ZHAO, chat, identity_sent, mint
from tests.support.eport_card import CardAuthority, EportApplet
from tests.support.service import make_client, part
from tests.support.webchat import open_chat

AUTHORITY = CardAuthority()




def new_card() -> EportApplet:
    number = f"87{secrets.randbelow(10**11):011d}"  # the SQL registry lives for the session
    expiry = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=700)
    return AUTHORITY.issue(number, "赵建国", expiry)


def registered(applet: EportApplet) -> RegisteredCard:
    return RegisteredCard(
        card_number=applet.card_number,
        subject=ZHAO.subject,
        enterprise_name=ZHAO.enterprise_name,
        holder_name="赵建国",
        role=CardRole.LEGAL,
        public_key_pem=applet.public_key_pem(),
        key_type=KeyType(applet.key.kind),
        status=CardStatus.ACTIVE,
        expires_at=applet.certificate.not_valid_after_utc,
    )


def proof(applet: EportApplet, challenge: str) -> dict:
    """What the bridge sends for this card and challenge, made with the card's own key."""
    signature = applet.key.sign(signed_message(challenge))
    der = applet.certificate.public_bytes(serialization.Encoding.DER)
    return {
        "card_number": applet.card_number,
        "certificate": base64.b64encode(der).decode(),
        "challenge": challenge,
        "signature": base64.b64encode(signature).decode(),
        "initial_pin": False,
    }


def card_login(ws, applet: EportApplet) -> dict:
    ws.send_json({"type": "card_challenge"})
    challenge = ws.receive_json()["challenge"]
    ws.send_json({"type": "card_proof", "proof": proof(applet, challenge)})
    return ws.receive_json()


def card_admin(
    command: str, number: str, database_url: str, redis_url: str
) -> subprocess.CompletedProcess:
    """The card centre's command line, run as the operator runs it."""
    env = {**os.environ, "SWA_DATABASE_URL": database_url, "SWA_REDIS_URL": redis_url}
    return subprocess.run(
        [sys.executable, "-m", "queue_service.identity.card_admin", command, number],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("command", "status"), [("lock", CardStatus.LOCKED), ("revoke", CardStatus.REVOKED)]
)
def test_a_locked_or_revoked_card_ends_its_live_sessions_at_once(
    service, rasa, redis_process, database_url, command: str, status: CardStatus
) -> None:
    applet = new_card()
    service.portal.call(part(service, Identities).cards.registry.register, registered(applet))
    with (
        open_chat(service) as portal_first,
        open_chat(service) as card_only,
    ):
        first = f"webchat:{portal_first.receive_json()['conversation_id']}"
        only = f"webchat:{card_only.receive_json()['conversation_id']}"
        # One user logged in on the portal before the card; the other used only the card.
        portal_first.send_json({"type": "auth", "token": mint(service, ZHAO)})
        portal_first.receive_json()
        for ws in (portal_first, card_only):
            assert card_login(ws, applet)["identity"]["card"]["role"] == "legal"
        chat(portal_first, "我的报关单")
        assert identity_sent(rasa, first).source is Source.CARD

        done = card_admin(command, applet.card_number, database_url, redis_process.url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"{applet.card_number}: active -> {status.value}; live sessions ended: 2"
        )
        notice = card_texts.disabled(status, applet.card_number)
        # Each open page is told at once: back to the portal login, or anonymous.
        frame = portal_first.receive_json()
        assert frame["type"] == "identity" and frame["notices"] == [notice]
        assert frame["identity"]["name"] == "赵建国" and "card" not in frame["identity"]
        assert card_only.receive_json() == {
            "type": "identity",
            "identity": None,
            "notices": [notice],
        }
        chat(portal_first, "我的报关单")
        assert identity_sent(rasa, first) == ZHAO
        chat(card_only, "我的报关单")
        assert identity_sent(rasa, only) is None
        # And the card cannot simply log in again.
        assert card_login(card_only, applet)["reason"] == status.value


def test_a_lock_made_in_sql_alone_ends_the_session_at_the_next_checked_turn(
    redis_process, database_url, rasa
) -> None:
    # Checked at every turn here; the interval itself is tested with a clock below.
    with make_client(redis_process.url, database_url, rasa.url, card_status_check_s=0) as client:
        client.portal.call(part(client, Redis).flushdb)
        registry = part(client, Identities).cards.registry
        applet = new_card()
        client.portal.call(registry.register, registered(applet))
        with open_chat(client) as ws:
            conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
            card_login(ws, applet)
            client.portal.call(registry.set_status, applet.card_number, CardStatus.LOCKED)
            ws.send_json({"type": "message", "text": "我的报关单"})
            # The turn's answer and the bus's identity frame, in whichever order they come.
            frames = {frame["type"]: frame for frame in (ws.receive_json(), ws.receive_json())}
            assert frames["identity"] == {
                "type": "identity",
                "identity": None,
                "notices": [card_texts.disabled(CardStatus.LOCKED, applet.card_number)],
            }
            assert identity_sent(rasa, conversation_id) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_card_status_is_read_again_once_the_interval_is_over(
    redis_client, database_url
) -> None:
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    registry = CardRegistry(sessions)
    store = IdentityStore(redis_client, sessions)
    clock = Clock()
    desk = CardDesk(redis_client, store, CardChallenges(redis_client), registry, None, 30, clock)
    applet = new_card()
    await registry.register(registered(applet))
    conversation_id = f"webchat:{secrets.token_hex(8)}"
    await store.log_in(conversation_id, ZHAO, int(time.time()) + 3600)  # a portal login first
    login = await desk.log_in(conversation_id, proof(applet, await desk.challenge(conversation_id)))
    await registry.set_status(applet.card_number, CardStatus.LOCKED)  # SQL only, no card_admin
    try:
        clock.now += 29  # within the interval: the login's own look at the card stands
        assert await desk.still_valid(conversation_id, login.verified) == login.verified
        clock.now += 2  # past it: read again, locked, ended, back to the portal login
        after = await desk.still_valid(conversation_id, login.verified)
        assert after is not None and after.identity == ZHAO
        assert await store.current(conversation_id) == after
        # An unlocked card logs in again at once: a refused status is never remembered.
        await registry.set_status(applet.card_number, CardStatus.ACTIVE)
        again = await desk.log_in(
            conversation_id, proof(applet, await desk.challenge(conversation_id))
        )
        assert await desk.still_valid(conversation_id, again.verified) == again.verified
    finally:
        await engine.dispose()


async def test_a_lock_leaves_alone_conversations_that_moved_on(redis_client, database_url) -> None:
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    registry = CardRegistry(sessions)
    store = IdentityStore(redis_client, sessions)
    desk = CardDesk(redis_client, store, CardChallenges(redis_client), registry)
    lost, other = new_card(), new_card()
    for applet in (lost, other):
        await registry.register(registered(applet))
    moved_on = f"webchat:{secrets.token_hex(8)}"
    try:
        for applet in (lost, other):  # the lost card first, then another card in its place
            await desk.log_in(moved_on, proof(applet, await desk.challenge(moved_on)))
        assert await desk.card_disabled(lost.card_number, CardStatus.LOCKED) == 0
        current = await store.current(moved_on)
        assert current is not None and current.identity.extras["card_no"] == other.card_number
    finally:
        await engine.dispose()
