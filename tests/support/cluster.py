"""The production profile (stack/cluster.py) brought up for a test: supervisor, nginx, the
services, Rasa and action servers, PostgreSQL and Redis (with Sentinel unless told otherwise),
on free ports in a folder of its own, so it never meets a running `make run` or `make cluster`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from supervisor.xmlrpc import SupervisorTransport

from stack.cluster import ClusterSettings, Layout, read_env_file, supervisorctl
from stack.paths import ROOT
from tests.support.servers import wait_until

UP_TIMEOUT_S = 300


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_base_port() -> int:
    """A base port whose whole block (services, Rasa, actions, PostgreSQL, Redis, its replica
    and sentinels) is free."""
    for _ in range(200):
        base = random.randrange(20000, 40000, 20)
        ports = [base, base + 1, base + 2, base + 100, base + 101, base + 200, base + 201]
        ports += [base + 300, base + 301, base + 302, base + 311, base + 312, base + 313]
        if all(_port_free(p) for p in ports):
            return base
    raise RuntimeError("no free block of ports")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    settings: ClusterSettings
    env: dict[str, str]

    @property
    def layout(self) -> Layout:
        return Layout(self.settings.dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.http_port}/channels/webchat/ws"

    @property
    def database_url(self) -> str:
        password = read_env_file(self.layout.root / "swa.env")["SWA_CLUSTER_POSTGRES_PASSWORD"]
        return self.settings.model_copy(update={"postgres_password": password}).database_url()

    def pid(self, name: str) -> int:
        return int(supervisorctl(self.layout, "pid", name).stdout.strip())

    def log(self, name: str) -> str:
        path = self.layout.log / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_restarted(self, program: str, before: int, health_url: str, timeout_s: float) -> None:
        """supervisor has started `program` again (another pid than `before`), and it answers."""
        wait_until(
            lambda: (
                self.pid(program) not in (0, before)
                and httpx.get(health_url, timeout=2).status_code == 200
            ),
            timeout_s,
            f"{program} restarted by supervisor",
        )

    def rpc(self) -> xmlrpc.client.ServerProxy:
        """supervisord's XML-RPC interface, on its socket."""
        transport = SupervisorTransport(None, None, f"unix://{self.layout.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def kill_for_good(self, name: str) -> None:
        """kill -9 a process and keep supervisor from starting it again (its host is gone):
        frozen first, so that the stop's SIGTERM finds it unable to shut down cleanly."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGSTOP)
        self.rpc().supervisor.stopProcess(name, False)
        os.kill(pid, signal.SIGKILL)


def _cluster_command(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stack.cluster", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=UP_TIMEOUT_S + 60,
    )


def _settings_from(env: dict[str, str]) -> dict[str, str]:
    prefix = "SWA_CLUSTER_"
    return {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}


@contextmanager
def running_cluster(**overrides: str) -> Iterator[Cluster]:
    """`make cluster` in a folder of its own, brought down and removed afterwards."""
    # nginx, PostgreSQL, Redis and its sentinel from Debian, installed when missing.
    subprocess.run([str(ROOT / "stack" / "ensure-cluster")], check=True)
    folder = Path(tempfile.mkdtemp(prefix="swa-cluster-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user when the tests run as root
    env = {
        **os.environ,
        "SWA_CLUSTER_DIR": str(folder),
        "SWA_CLUSTER_LISTEN": "127.0.0.1",
        "SWA_CLUSTER_HTTP_PORT": str(free_port()),
        "SWA_CLUSTER_BASE_PORT": str(free_base_port()),
        **overrides,
    }
    env.pop("SWA_CLUSTER_ENV_FILE", None)
    cluster = Cluster(ClusterSettings(**_settings_from(env)), env)
    try:
        result = _cluster_command("up", env)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n" + "\n".join(
            f"--- {n}\n{cluster.log(n)}" for n in ("supervisord", "service-0", "rasa-0")
        )
        yield cluster
    finally:
        _cluster_command("down", env)
        shutil.rmtree(folder, ignore_errors=True)
