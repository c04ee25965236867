"""A PostgreSQL server a benchmark starts for itself: initdb in a throwaway folder, the server
on a free loopback port, stopped and removed afterwards. The machine's own server (if any) is
never used, so a benchmark measures a database nobody else is loading.

Run as root, the server runs as the `postgres` user (PostgreSQL refuses root), as
stack/cluster.py does it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from stack.cluster import ClusterSettings, postgres_bin
from tests.support.servers import free_port


def _as_server(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def own_postgres(*settings: str) -> Iterator[str]:
    """A fresh server's URL (SQLAlchemy, psycopg driver; database `postgres`, trust auth).
    `settings` are extra `-c name=value` server options."""
    bin_dir = postgres_bin(ClusterSettings())
    root = Path(tempfile.mkdtemp(prefix="swa-bench-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    init = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    subprocess.run(_as_server([*init, "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    options = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
    for setting in settings:
        options += ["-c", setting]
    server = subprocess.Popen(
        _as_server(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sockets),
                *options,
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(dsn, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield dsn.replace("postgresql://", "postgresql+psycopg://")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
