"""The real PC/SC stack for the card tests: a private pcscd, the vpcd reader, virtual cards."""

import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.paths import ROOT
from tests.support import pcsc
from tests.support.eport_card import CardAuthority, EportApplet
from tests.support.servers import free_port, port_open, stop_process, wait_until
from tests.support.vpcd import VirtualCard


@pytest.fixture(scope="session")
def pcsc_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pcsc.PcscDaemon]:
    """One pcscd for the session; this process's PC/SC clients talk to it, never to another.

    Skipped where the stack is missing on a developer machine, failed in CI (CI=true).
    """
    reason = pcsc.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    daemon = pcsc.PcscDaemon(tmp_path_factory.mktemp("pcscd"))
    daemon.start()
    # libpcsclite reads this at its first call; no card test may use PC/SC before this fixture.
    os.environ["PCSCLITE_CSOCK_NAME"] = str(daemon.socket_path)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def authority() -> CardAuthority:
    return CardAuthority()


def in_days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days)


@pytest.fixture
def new_card(authority: CardAuthority):
    """Makes a card (number, holder, days until its certificate expires)."""

    def make(card_number: str | None = None, holder: str = "测试持卡人", days: int = 700):
        # A fresh number by default: the SQL registry lives for the whole test session.
        number = card_number or f"89{secrets.randbelow(10**11):011d}"
        return authority.issue(number, holder, in_days(days))

    return make


class Reader:
    """The vpcd reader, as a test sees it: put a card in, take it out."""

    name = pcsc.READER_NAME

    def __init__(self, daemon: pcsc.PcscDaemon) -> None:
        self.daemon = daemon
        self.card: VirtualCard | None = None

    def insert(self, applet: EportApplet, pulled_at: int | None = None) -> VirtualCard:
        self.remove()
        self.card = VirtualCard(applet, self.daemon.vpcd_port, pulled_at=pulled_at)
        self.card.insert()
        wait_until(self.present, 10, "card insertion")
        return self.card

    def remove(self) -> None:
        if self.card is not None:
            pulled = self.card.pulled
            self.card.remove()
            self.card = None
            if pulled:
                # pcscd polls the vpcd reader every 400 ms; a card pulled mid-command and another
                # put in before the next poll would be taken for the same card, never re-read.
                time.sleep(1)
        wait_until(lambda: not self.present(), 10, "card removal")

    def present(self) -> bool:
        from integrations.card import readers

        return readers.card_present(self.name)


@pytest.fixture
def reader(pcsc_daemon: pcsc.PcscDaemon) -> Iterator[Reader]:
    slot = Reader(pcsc_daemon)
    yield slot
    slot.remove()


@dataclass
class Bridge:
    url: str
    origin: str
    log: Path

    def headers(self, origin: str | None = None) -> dict[str, str]:
        return {"Origin": origin or self.origin}


@contextmanager
def run_bridge(daemon: pcsc.PcscDaemon, origin: str, folder: Path) -> Iterator[Bridge]:
    """The bridge as users run it (`python -m integrations.card`), on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "PCSCLITE_CSOCK_NAME": str(daemon.socket_path),
        "SWA_CARD_BRIDGE_PORT": str(port),
        "SWA_CARD_BRIDGE_ALLOWED_ORIGINS": f"{origin},http://localhost:8000",
        "SWA_CARD_BRIDGE_POLL_INTERVAL_S": "0.1",
        "PYTHONPATH": str(ROOT),
    }
    log = folder / "bridge.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "integrations.card"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: port_open(port), 15, "card bridge")
        yield Bridge(f"http://127.0.0.1:{port}", origin, log)
    finally:
        stop_process(process, timeout_s=5)


@pytest.fixture(scope="session")
def bridge(pcsc_daemon: pcsc.PcscDaemon, tmp_path_factory) -> Iterator[Bridge]:
    folder = tmp_path_factory.mktemp("bridge")
    with run_bridge(pcsc_daemon, "http://chat.example.test:8000", folder) as running:
        yield running
