"""The PC/SC readers on this PC and whether a card is in each, through pyscard's SCard API.

A snapshot (reader -> card present) is cheap to take, so watching for insertion and removal is
polling snapshots and reporting the differences: simpler than SCardGetStatusChange's blocking
waits across threads, and quick enough for a person putting a card in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from smartcard import scard

from integrations.card.errors import CardError, Reason


@contextmanager
def _context() -> Iterator[int]:
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise CardError(Reason.PCSC_UNAVAILABLE, scard.SCardGetErrorMessage(hresult))
    try:
        yield context
    finally:
        scard.SCardReleaseContext(context)


def _names(context: int) -> list[str]:
    hresult, names = scard.SCardListReaders(context, [])
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise CardError(Reason.PCSC_UNAVAILABLE, scard.SCardGetErrorMessage(hresult))
    return list(names)


def list_readers() -> list[str]:
    with _context() as context:
        return _names(context)


def snapshot() -> dict[str, bool]:
    """Every connected reader, and whether a card is in it."""
    with _context() as context:
        names = _names(context)
        if not names:
            return {}
        hresult, states = scard.SCardGetStatusChange(
            context, 0, [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardError(Reason.PCSC_UNAVAILABLE, scard.SCardGetErrorMessage(hresult))
        return {name: bool(event & scard.SCARD_STATE_PRESENT) for name, event, _atr in states}


def card_present(reader: str) -> bool:
    return snapshot().get(reader, False)


def changes(before: dict[str, bool], after: dict[str, bool]) -> list[dict[str, object]]:
    """Events between two snapshots: readers connected or gone, cards inserted or removed."""
    events: list[dict[str, object]] = []
    for name in sorted(before.keys() - after.keys()):
        events.append({"event": "reader_removed", "reader": name})
    for name in sorted(after.keys() - before.keys()):
        events.append({"event": "reader_added", "reader": name, "card_present": after[name]})
    for name in sorted(before.keys() & after.keys()):
        if before[name] != after[name]:
            event = "card_inserted" if after[name] else "card_removed"
            events.append({"event": event, "reader": name})
    return events
