"""A private pcscd with the vsmartcard-vpcd virtual reader driver, for the card tests.

pcscd 1.9 always puts its socket at /run/pcscd/pcscd.comm, so two instances on one machine
would collide (and a test must not disturb a system pcscd or a colleague's). Ours runs in its
own mount namespace (`unshare --mount`) with a private folder bound over /run/pcscd; clients
reach it through PCSCLITE_CSOCK_NAME, which libpcsclite reads at its first call. Its reader
list (`--config`) has one vpcd reader listening on a free port, so parallel sessions never
share a virtual reader either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.servers import free_port, stop_process, wait_until

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
# vpcd names its readers "<FRIENDLYNAME> 00 00" and "... 00 01" (a second slot on port + 1).
READER_NAME = "Virtual PCD 00 00"


def missing() -> str | None:
    """What is missing to run the stack here, or None; tests skip (or CI fails) with it."""
    if shutil.which("pcscd") is None or not VPCD_DRIVER.exists():
        return "pcscd and vsmartcard-vpcd are not installed (run stack/ensure-pcsc)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    return None


class PcscDaemon:
    """pcscd in the foreground, in its own mount namespace, with one vpcd reader."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.vpcd_port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.folder / "ipc" / "pcscd.comm"

    def start(self) -> None:
        ipc = self.folder / "ipc"
        ipc.mkdir(parents=True, exist_ok=True)
        config = self.folder / "reader.conf"
        config.write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME /dev/null:0x{self.vpcd_port:04X}\n"
            f"LIBPATH {VPCD_DRIVER}\n"
            f"CHANNELID 0x{self.vpcd_port:04X}\n"
        )
        # Root gets a plain mount namespace; anyone else maps themselves to root in a user one.
        namespace = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            namespace[1:1] = ["--user", "--map-root-user"]
        script = 'mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec pcscd -f -i -c "$2"'
        log = (self.folder / "pcscd.log").open("ab")
        self.process = subprocess.Popen(
            [*namespace, "sh", "-c", script, "pcscd", str(ipc), str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._ready, 10, "pcscd")

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = (self.folder / "pcscd.log").read_text(errors="replace")
            raise RuntimeError(f"pcscd exited ({self.process.returncode}): {log[-2000:]}")
        return self.socket_path.exists() and "daemon ready" in (
            self.folder / "pcscd.log"
        ).read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout_s=5)
