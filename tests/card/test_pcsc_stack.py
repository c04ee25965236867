"""The real PC/SC stack carries our virtual card as it would a physical one."""

from smartcard.System import readers as pyscard_readers

from integrations.card import readers
from integrations.card.apdu import AID, CardSession
from tests.support.pcsc import READER_NAME


def test_pyscard_lists_the_vpcd_reader(reader):
    assert READER_NAME in [str(r) for r in pyscard_readers()]
    assert READER_NAME in readers.list_readers()


def test_insertion_and_removal_are_seen(reader, new_card):
    assert readers.snapshot()[READER_NAME] is False
    before = readers.snapshot()
    reader.insert(new_card())
    after = readers.snapshot()
    assert readers.changes(before, after) == [{"event": "card_inserted", "reader": READER_NAME}]
    reader.remove()
    assert readers.changes(after, readers.snapshot()) == [
        {"event": "card_removed", "reader": READER_NAME}
    ]


def test_apdus_reach_the_card_and_answers_come_back(reader, new_card):
    card = reader.insert(new_card(card_number="8930000099999"))
    with CardSession(READER_NAME) as session:
        data, sw1, sw2 = session.transmit(b"\x00\xa4\x04\x00" + bytes([len(AID)]) + AID)
        assert (data, sw1, sw2) == (b"", 0x90, 0x00)
        # An instruction the card does not know: its own status word, not a transport error.
        assert session.transmit(b"\x00\xee\x00\x00") == (b"", 0x6D, 0x00)
        assert session.card_number() == "8930000099999"
    assert card.apdus[0] == b"\x00\xa4\x04\x00" + bytes([len(AID)]) + AID
