"""The identity the hub signs for the action server: accepted only as signed, where signed."""

import pytest

from kernel.claims import Identity, Kind, Source
from kernel.signing import (
    METADATA_KEY,
    SIGNATURE_KEY,
    IdentityRejected,
    _mac,
    sign,
    verify,
)

SECRET = "test-secret"
ALICE = Identity(Kind.PERSON, "person-demo-1", "王小明", Source.PORTAL)
CONVERSATION = "webchat:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"


def test_a_signed_identity_comes_back_as_it_was() -> None:
    acme = Identity(
        Kind.ENTERPRISE, "ent-demo-1", "张三", Source.CARD, "北京示例", {"card_role": "legal"}
    )
    for identity in (ALICE, acme):
        metadata = sign(identity, CONVERSATION, SECRET, now=1000)
        assert verify(metadata, CONVERSATION, SECRET, now=1200) == identity


def test_no_identity_is_anonymous() -> None:
    assert verify(None, CONVERSATION, SECRET) is None
    assert verify({"other": 1}, CONVERSATION, SECRET) is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda m: m[METADATA_KEY]["claims"].update(subject="person-demo-2"),
        lambda m: m[METADATA_KEY].update(exp=m[METADATA_KEY]["exp"] + 3600),
        lambda m: m.update({SIGNATURE_KEY: m[SIGNATURE_KEY][:-2] + "AA"}),
        lambda m: m.pop(SIGNATURE_KEY),
        lambda m: m.update({METADATA_KEY: "not a dict"}),
    ],
    ids=["other-subject", "longer-expiry", "bad-signature", "no-signature", "malformed"],
)
def test_tampered_identities_are_rejected(forge) -> None:
    metadata = sign(ALICE, CONVERSATION, SECRET, now=1000)
    forge(metadata)
    with pytest.raises(IdentityRejected):
        verify(metadata, CONVERSATION, SECRET, now=1001)


def test_expired_other_conversation_or_other_secret_are_rejected() -> None:
    metadata = sign(ALICE, CONVERSATION, SECRET, now=1000, ttl_s=300)
    for conversation, secret, now in (
        (CONVERSATION, SECRET, 1301),
        ("webchat:someone-else", SECRET, 1001),
        (CONVERSATION, "another-secret", 1001),
    ):
        with pytest.raises(IdentityRejected):
            verify(metadata, conversation, secret, now=now)


def test_claims_that_are_not_an_identity_are_rejected_even_when_signed() -> None:
    metadata = sign(ALICE, CONVERSATION, SECRET, now=1000)
    metadata[METADATA_KEY]["claims"]["kind"] = "robot"
    metadata[SIGNATURE_KEY] = _mac(SECRET, metadata[METADATA_KEY])
    with pytest.raises(IdentityRejected):
        verify(metadata, CONVERSATION, SECRET, now=1001)
