"""A virtual card in vsmartcard-vpcd's reader, speaking vpcd's socket protocol.

vpcd listens on a TCP port; the card connects to it (that is the insertion) and answers what
the reader sends: frames of a 2-byte big-endian length and the data. One-byte frames are
control messages (0x00 power off, 0x01 power on, 0x02 reset, 0x04 get ATR, which is answered
with the ATR); anything longer is a C-APDU, answered with an R-APDU. Closing the connection is
the removal. pcscd and pyscard above it cannot tell this from a physical card.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Protocol

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04


class Applet(Protocol):
    atr: bytes

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process(self, apdu: bytes) -> bytes: ...


class VirtualCard:
    """Inserts an applet into the vpcd reader at `port`, and removes it."""

    def __init__(
        self, applet: Applet, port: int, host: str = "127.0.0.1", pulled_at: int | None = None
    ) -> None:
        self.applet = applet
        self.port = port
        self.host = host
        # An instruction byte at which the card is pulled out instead of answering.
        self.pulled_at = pulled_at
        self.pulled = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.apdus: list[bytes] = []  # every C-APDU the card saw, for assertions

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self) -> None:
        if self._sock is not None:
            raise RuntimeError("the card is already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):  # vpcd closed it first
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        if self._thread is not None:
            self._thread.join(5)
        self.applet.power_off()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                frame = _receive(sock)
                if frame is None:
                    return
                if len(frame) > 1 and frame[1] == self.pulled_at:
                    self.apdus.append(frame)
                    self.pulled = True
                    sock.close()
                    return
                answer = self._answer(frame)
                if answer is not None:
                    sock.sendall(struct.pack(">H", len(answer)) + answer)
        except OSError:
            return  # removed

    def _answer(self, frame: bytes) -> bytes | None:
        if len(frame) == 1:
            control = frame[0]
            if control == GET_ATR:
                return self.applet.atr
            if control == POWER_OFF:
                self.applet.power_off()
            elif control in (POWER_ON, RESET):
                self.applet.reset()
            return None
        self.apdus.append(frame)
        return self.applet.process(frame)


def _receive(sock: socket.socket) -> bytes | None:
    header = _exactly(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _exactly(sock, length)


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        # vpcd writes a frame's length and its data separately: acknowledging at once keeps
        # Nagle's algorithm on its side from holding the data for our delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
