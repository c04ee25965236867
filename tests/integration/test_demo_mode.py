"""The demo switch: published demo values, the demo portal and demo cards only in demo mode.

Each test is an attack on a deployment that did not turn demo mode on: it must fail.
"""

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from kernel.claims import Identity, Kind, Source
from kernel.settings import SINGLE_WINDOW_PORTAL
from queue_service import db
from queue_service.app import create_app
from queue_service.identity import card_demo
from queue_service.identity.cards import CardRegistry, CardStatus
from queue_service.identity.portal import PortalTokens
from queue_service.identity.service import Identities
from queue_service.secret_policy import refusal
from queue_service.settings import Settings
from stack.paths import ROOT
from tests.support.service import part
from tests.support.settings import own_secrets

DEMO = Settings(demo_mode=True)
WANG = Identity(Kind.PERSON, "person-demo-1", "王小明", Source.PORTAL)
REQUIRED = ("SWA_IDENTITY_SECRET", "SWA_RASA_TOKEN", "SWA_PORTAL_JWT_SECRET")


def without_demo_env() -> dict[str, str]:
    """This process's environment without any SWA_ setting (the tests' demo mode included)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SWA_")}


def test_demo_values_are_refused_outside_demo_mode_and_named() -> None:
    reason = refusal(Settings(demo_mode=False))
    assert reason is not None and "\n" not in reason
    assert all(name in reason for name in REQUIRED)
    assert "SWA_DEMO_MODE=true" in reason
    assert refusal(Settings(demo_mode=True)) is None
    assert refusal(Settings(**own_secrets())) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("identity_secret", "swa-demo-identity-secret"),  # the published value
        ("rasa_token", "short-but-not-a-demo-value"),  # 26 bytes
        ("portal_jwt_secret", ""),
    ],
)
def test_one_weak_secret_is_enough_to_refuse(field: str, value: str) -> None:
    reason = refusal(Settings(**{**own_secrets(), field: value}))
    assert reason is not None and f"SWA_{field.upper()}" in reason
    others = [name for name in REQUIRED if name != f"SWA_{field.upper()}"]
    assert not any(name in reason for name in others)


def test_a_telegram_webhook_needs_a_strong_secret_of_its_own() -> None:
    webhook = {"telegram_token": "1:x", "telegram_webhook_url": "https://swa.example.cn/tg"}
    reason = refusal(Settings(**own_secrets(), **webhook, telegram_secret="abc"))
    assert reason is not None and "SWA_TELEGRAM_SECRET" in reason
    assert refusal(Settings(**own_secrets(), **webhook, telegram_secret="s" * 40)) is None


def test_the_app_refuses_to_be_built_with_demo_values(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        create_app(Settings(demo_mode=False))
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("refusing to start:") and "SWA_PORTAL_JWT_SECRET" in line


@pytest.mark.parametrize(
    ("command", "secrets"),
    [
        (["-m", "uvicorn", "queue_service.app:create_app", "--factory", "--port", "1"], REQUIRED),
        (["-m", "stack.run"], REQUIRED),
        # The action server holds one secret: it believes identities signed with it.
        (["-m", "actions", "--port", "1"], ("SWA_IDENTITY_SECRET",)),
    ],
    ids=["service under plain uvicorn", "make run told demo mode is off", "action server"],
)
def test_a_process_started_as_an_operator_would_refuses_in_one_line(command, secrets) -> None:
    done = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**without_demo_env(), "SWA_DEMO_MODE": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if line.startswith("refusing to start")]
    assert len(refusals) == 1
    named = {name for name in REQUIRED if name in refusals[0]}
    assert named == set(secrets)
    assert "Traceback" not in done.stderr


def test_outside_demo_mode_a_token_signed_with_the_demo_secret_is_refused(
    redis_process, database_url
) -> None:
    demo_secret = DEMO.portal_jwt_secret.get_secret_value()
    forged = PortalTokens(demo_secret, DEMO.portal_issuer).mint(WANG, 600)
    settings = Settings(redis_url=redis_process.url, database_url=database_url, **own_secrets())
    with TestClient(create_app(settings)) as client:
        refused = client.post(
            "/portal/api/bind-codes", headers={"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401
        # ...while the operator's own portal, holding the operator's secret, is served.
        genuine = part(client, Identities).tokens.mint(WANG, 600)
        issued = client.post(
            "/portal/api/bind-codes", headers={"Authorization": f"Bearer {genuine}"}
        )
        assert issued.status_code == 200 and len(issued.json()["code"]) == 8
        # No demo portal to mint tokens for anyone, and users are sent to the real portal.
        assert client.get("/portal/demo").status_code == 404
        assert client.post("/portal/demo/login", json={"account": WANG.subject}).status_code == 404
        assert settings.portal_login_url() == SINGLE_WINDOW_PORTAL


async def test_demo_cards_registered_in_a_demo_are_locked_outside_it(
    redis_process, database_url
) -> None:
    demo = Settings(redis_url=redis_process.url, database_url=database_url, demo_mode=True)
    with TestClient(create_app(demo)):
        pass  # start-up registers the demo cards
    registry = CardRegistry(db.session_factory(db.create_engine(database_url)))
    numbers = [number for number, *_ in card_demo.DEMO_CARDS]
    assert {(await registry.get(n)).status for n in numbers} == {CardStatus.ACTIVE}

    live = Settings(redis_url=redis_process.url, database_url=database_url, **own_secrets())
    with TestClient(create_app(live)):
        pass
    assert {(await registry.get(n)).status for n in numbers} == {CardStatus.LOCKED}

    with TestClient(create_app(demo)):
        pass  # a demo again: they work again
    assert {(await registry.get(n)).status for n in numbers} == {CardStatus.ACTIVE}
