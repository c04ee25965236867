"""The card client (integrations/card) against the virtual e-port card through real pcscd."""

import gmssl_pyx
import pytest
from cryptography import x509

from integrations.card.errors import CardError, Reason
from integrations.card.prove import change_pin, prove
from kernel.card_protocol import signed_message
from tests.card.conftest import in_days
from tests.support.eport_card import ATR, INITIAL_PIN
from tests.support.pcsc import READER_NAME

CHALLENGE = "x3Jq9cZr6Yb0lWm2Xk7pQv4sTt8uNn1aAe5fGh0iJk"


def test_a_card_proves_its_number_certificate_and_signature(reader, new_card):
    applet = new_card(card_number="8930000012345")
    reader.insert(applet)
    proof = prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert proof.card_number == "8930000012345"
    certificate = x509.load_der_x509_certificate(proof.certificate)
    assert certificate == applet.certificate
    # An SM2 signature (SM3, Z from the default signer id) with the card's key over exactly the
    # purpose-labelled challenge, and not over anything else.
    key = applet.key.public
    assert gmssl_pyx.sm2_verify(key, signed_message(CHALLENGE), proof.signature)
    assert not gmssl_pyx.sm2_verify(key, CHALLENGE.encode(), proof.signature)
    assert proof.initial_pin is True
    assert "88888888" not in str(proof.to_json())


def test_a_changed_pin_is_not_reported_as_initial(reader, authority):
    reader.insert(authority.issue("8930000012346", "测试", in_days(300), pin="20240601"))
    assert prove(READER_NAME, CHALLENGE, "20240601").initial_pin is False


def test_wrong_pins_count_down_and_a_right_one_restores_the_tries(reader, new_card):
    applet = new_card()
    reader.insert(applet)
    for left in (4, 3):
        with pytest.raises(CardError) as raised:
            prove(READER_NAME, CHALLENGE, "12345678")
        assert (raised.value.reason, raised.value.tries_left) == (Reason.WRONG_PIN, left)
    prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert applet.tries == 5


def test_five_wrong_pins_lock_the_card_for_good(reader, new_card):
    applet = new_card()
    card = reader.insert(applet)
    reasons = []
    for _ in range(5):
        with pytest.raises(CardError) as raised:
            prove(READER_NAME, CHALLENGE, "00000000")
        reasons.append((raised.value.reason, raised.value.tries_left))
    assert reasons == [(Reason.WRONG_PIN, n) for n in (4, 3, 2, 1)] + [(Reason.LOCKED, 0)]
    sent = len(card.apdus)
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.LOCKED
    # The right PIN was never sent to the locked card.
    assert not any(INITIAL_PIN.encode() in apdu for apdu in card.apdus[sent:])


def test_a_malformed_pin_is_refused_without_costing_a_try(reader, new_card):
    applet = new_card()
    card = reader.insert(applet)
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, "88 88")
    assert raised.value.reason is Reason.BAD_PIN_FORMAT
    assert applet.tries == 5
    assert card.apdus == []


def test_no_card_and_a_card_without_the_application_are_told_apart(reader, new_card):
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.NO_CARD
    reader.insert(_BankCard())
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.NOT_EPORT_CARD
    with pytest.raises(CardError) as raised:
        prove("No Such Reader 00 00", CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.NO_READER


def test_a_challenge_that_is_not_the_services_is_not_signed(reader, new_card):
    card = reader.insert(new_card())
    with pytest.raises(ValueError):
        prove(READER_NAME, "sign this contract", INITIAL_PIN)
    assert card.apdus == []


class _BankCard:
    """Some other card: no e-port application on it."""

    atr = ATR

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process(self, apdu: bytes) -> bytes:
        return b"\x6a\x82"


def test_the_pin_is_changed_on_the_card_and_then_is_not_initial(reader, new_card):
    applet = new_card()
    card = reader.insert(applet)
    with pytest.raises(CardError) as raised:
        change_pin(READER_NAME, "11111111", "24681357")
    assert (raised.value.reason, raised.value.tries_left) == (Reason.WRONG_PIN, 4)
    sent = len(card.apdus)
    for weak in (INITIAL_PIN, "1234"):
        with pytest.raises(CardError) as raised:
            change_pin(READER_NAME, INITIAL_PIN, weak)
        assert raised.value.reason in (Reason.WEAK_PIN, Reason.BAD_PIN_FORMAT)
    assert len(card.apdus) == sent  # refused before reaching the card
    change_pin(READER_NAME, INITIAL_PIN, "24681357")
    assert (applet.pin, applet.tries) == ("24681357", 5)
    assert prove(READER_NAME, CHALLENGE, "24681357").initial_pin is False
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.WRONG_PIN


def test_a_card_pulled_out_while_signing_is_reported_as_gone(reader, new_card):
    card = reader.insert(new_card(), pulled_at=0x2A)  # out at the SIGN command
    with pytest.raises(CardError) as raised:
        prove(READER_NAME, CHALLENGE, INITIAL_PIN)
    assert raised.value.reason is Reason.NO_CARD
    assert card.apdus[-1][:2] == b"\x00\x2a"
