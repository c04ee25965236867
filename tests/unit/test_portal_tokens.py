"""The host portal's token: what is accepted, and a distinct reason for everything that is not."""

import base64
import json
import time

import jwt
import pytest

from actions.records.demo import DEMO_CONSUMERS, DEMO_ENTERPRISES
from kernel.claims import Identity, Kind, Source
from queue_service.identity.bind_codes import BindCommand, UnbindCommand, masked, parse_command
from queue_service.identity.demo import DEMO_ACCOUNTS
from queue_service.identity.portal import (
    AUDIENCE,
    LEEWAY_S,
    MAX_TOKEN_CHARS,
    MAX_TTL_S,
    PortalTokenError,
    PortalTokens,
)
from queue_service.identity.texts import TOKEN_REFUSED
from queue_service.settings import Settings

SECRET = "portal-test-secret-of-at-least-32-bytes"
ISSUER = "test-portal"
TOKENS = PortalTokens(SECRET, ISSUER)
WANG = Identity(Kind.PERSON, "person-demo-1", "王小明", Source.PORTAL)
ZHAO = Identity(Kind.ENTERPRISE, "ent-demo-1", "赵建国", Source.PORTAL, "北京示例进出口有限公司")


def claims(**changes) -> dict:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "person-demo-1",
        "iat": now,
        "exp": now + 600,
        "name": "王小明",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def token(secret: str = SECRET, algorithm: str = "HS256", **changes) -> str:
    return jwt.encode(claims(**changes), secret, algorithm=algorithm)


def rejected(raw: object, tokens: PortalTokens = TOKENS) -> str:
    with pytest.raises(PortalTokenError) as refused:
        tokens.verify(raw)
    assert refused.value.user_message == TOKEN_REFUSED
    if isinstance(raw, str) and raw:
        assert raw not in str(refused.value)  # a token never ends up in a log line
    return refused.value.reason


def test_a_person_and_an_enterprise_user_are_verified() -> None:
    person = TOKENS.verify(TOKENS.mint(WANG, 600))
    assert person.identity == WANG
    assert person.expires_at == pytest.approx(time.time() + 600, abs=2)
    enterprise = TOKENS.verify(TOKENS.mint(ZHAO, 600))
    assert enterprise.identity == ZHAO
    assert enterprise.identity.label == "赵建国（北京示例进出口有限公司）"
    # kind defaults to a person; a portal may omit it.
    assert TOKENS.verify(token()).identity == WANG


def test_expired_tokens_are_refused_beyond_a_small_leeway() -> None:
    now = int(time.time())
    assert rejected(token(iat=now - 7200, exp=now - LEEWAY_S - 5)) == "expired"
    # Within the leeway (clock skew between portal and hub), still valid.
    assert TOKENS.verify(token(iat=now - 600, exp=now - LEEWAY_S + 10)).identity == WANG
    assert rejected(token(iat=now + LEEWAY_S + 60)) == "not_yet_valid"


def test_wrong_signature_issuer_and_algorithm_are_refused() -> None:
    assert rejected(token(secret="another-secret-of-at-least-32-bytes!!")) == "bad_signature"
    assert rejected(token(iss="someone-else")) == "wrong_issuer"
    assert rejected(token(secret=SECRET * 2, algorithm="HS512")) == "bad_algorithm"
    # alg "none": an unsigned token claiming to be anyone.
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    assert rejected(f"{header}.{body}.") == "bad_algorithm"
    # A signature stripped from a real token.
    assert rejected(token().rsplit(".", 1)[0] + ".") == "bad_signature"


def test_a_token_for_another_audience_is_refused() -> None:
    """The portal signs tokens for its other services too: only those naming us are accepted."""
    minted = jwt.decode(TOKENS.mint(WANG, 600), SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert minted["aud"] == AUDIENCE  # the demo portal's tokens name us
    assert rejected(token(aud="another-service")) == "wrong_audience"
    assert rejected(token(aud=["another-service", "yet-another"])) == "wrong_audience"
    assert TOKENS.verify(token(aud=["another-service", AUDIENCE])).identity == WANG
    # A configured audience of our own, and a portal's token without one.
    ours = PortalTokens(SECRET, ISSUER, audience="swa-prod")
    assert rejected(token(), ours) == "wrong_audience"
    assert ours.verify(token(aud="swa-prod")).identity == WANG
    assert rejected(token(aud=None)) == "missing_claim"
    # An empty setting: a portal that cannot add aud yet, whatever aud a token carries.
    unchecked = PortalTokens(SECRET, ISSUER, audience="")
    assert unchecked.verify(token(aud=None)).identity == WANG
    assert unchecked.verify(token(aud="another-service")).identity == WANG
    assert "aud" not in jwt.decode(
        unchecked.mint(WANG, 600), SECRET, algorithms=["HS256"], options={"verify_aud": False}
    )


def test_long_lived_tokens_are_refused() -> None:
    """A stolen token is good for at most the maximum lifetime, whatever exp the portal set."""
    now = int(time.time())
    assert rejected(token(iat=now, exp=now + MAX_TTL_S + 1)) == "too_long_lived"
    assert rejected(token(iat=now - 10, exp=now + 365 * 24 * 3600)) == "too_long_lived"
    assert rejected(token(iat=str(now), exp=str(now + MAX_TTL_S + 1))) == "too_long_lived"
    assert TOKENS.verify(token(iat=now, exp=now + MAX_TTL_S)).identity == WANG
    shorter = PortalTokens(SECRET, ISSUER, max_ttl_s=300)
    assert rejected(token(exp=now + 301), shorter) == "too_long_lived"
    assert shorter.verify(token(exp=now + 300)).identity == WANG
    # Issued in the future (beyond the leeway): not yet valid, whatever its lifetime.
    assert rejected(token(iat=now + LEEWAY_S + 60, exp=now + LEEWAY_S + 120)) == "not_yet_valid"


def test_the_settings_choose_the_audience_and_the_lifetime() -> None:
    configured = Settings(
        portal_jwt_secret=SECRET,
        portal_issuer=ISSUER,
        portal_audience="swa-prod",
        portal_max_token_ttl_s=300,
    )
    tokens = PortalTokens.from_settings(configured)
    now = int(time.time())
    assert rejected(token(), tokens) == "wrong_audience"
    assert rejected(token(aud="swa-prod", exp=now + 301), tokens) == "too_long_lived"
    assert tokens.verify(token(aud="swa-prod", exp=now + 300)).identity == WANG


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "name"])
def test_missing_claims_are_refused(claim: str) -> None:
    assert rejected(token(**{claim: None})) == "missing_claim"


def test_claims_that_are_not_an_identity_are_refused() -> None:
    assert rejected(token(kind="enterprise")) == "missing_claim"  # no enterprise_name
    assert rejected(token(kind="robot")) == "bad_claim"
    assert rejected(token(name="王" * 101)) == "bad_claim"
    assert rejected(token(name="   ")) == "missing_claim"
    assert rejected(token(sub=12345)) == "malformed"  # PyJWT: sub must be a string


def test_garbage_and_over_long_tokens_are_refused_without_parsing() -> None:
    assert rejected("x" * (MAX_TOKEN_CHARS + 1)) == "too_long"
    assert rejected(token(padding="a" * MAX_TOKEN_CHARS)) == "too_long"
    assert rejected("not a token") == "malformed"
    assert rejected("") == "malformed"
    assert rejected(None) == "malformed"
    assert rejected({"token": "x"}) == "malformed"


def test_a_short_secret_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError):
        PortalTokens("short", ISSUER)


def test_demo_accounts_are_the_records_demo_owners() -> None:
    consumers = {c.id: c.name for c in DEMO_CONSUMERS}
    enterprises = {e.id: e.name for e in DEMO_ENTERPRISES}
    for account in DEMO_ACCOUNTS:
        if account.kind is Kind.PERSON:
            assert consumers.pop(account.subject) == account.name
        else:
            assert enterprises.pop(account.subject) == account.enterprise_name
    assert consumers == enterprises == {}


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("绑定 12345678", BindCommand("12345678")),
        ("绑定12345678", BindCommand("12345678")),
        ("  绑定：1234 5678 ", BindCommand("12345678")),
        ("绑定　１２３４５６７８", BindCommand("12345678")),  # full-width space and digits
        ("bind 12345678", BindCommand("12345678")),
        ("/bind 1234-5678", BindCommand("12345678")),
        ("BIND 12345678", BindCommand("12345678")),
        ("绑定 123", BindCommand("123")),
        ("/bind", BindCommand("")),
        ("解除绑定", UnbindCommand()),
        ("解绑", UnbindCommand()),
        ("/unbind", UnbindCommand()),
        ("绑定", None),  # a question for the bot
        ("绑定手机号", None),
        ("怎么绑定 12345678", None),
        ("绑定 12345678 谢谢", None),
        ("binding 12345678", None),
    ],
)
def test_bind_commands(text: str, command) -> None:
    assert parse_command(text) == command


def test_a_bind_code_is_masked_in_the_transcript() -> None:
    assert masked(BindCommand("12345678")) == "绑定 ********"
