"""The real stack for end-to-end tests: Redis, Rasa, the action server and the service.

Started with the same command lines `make run` uses (stack.processes), on free ports, with a
throwaway SQLite database, so tests never touch a running developer stack.
"""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from actions.records import demo
from queue_service import db
from stack import processes
from stack.model import ensure_model
from stack.paths import ROOT
from tests.support.servers import RedisProcess, free_port, stop_process, wait_until

RASA_TOKEN = "e2e-test-rasa-token"


@dataclass
class Stack:
    ports: processes.Ports
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen]

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.service}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ports.service}/channels/webchat/ws"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    def start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_service(self) -> None:
        self.start("service", processes.service_command(self.ports, host="127.0.0.1"))
        wait_until(self.service_ready, 30, "service")

    def stop_service(self) -> None:
        stop_process(self.procs.pop("service"))

    def service_ready(self) -> bool:
        return httpx.get(f"{self.service_url}/readyz", timeout=2).status_code == 200

    @contextmanager
    def extra_service(self, name: str, **env: str) -> Iterator[str]:
        """Another service process beside the stack's, with more settings; yields its URL."""
        port = free_port()
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            processes.service_command(replace(self.ports, service=port), host="127.0.0.1"),
            cwd=ROOT,
            env={**self.env, **env, "SWA_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, 30, name)
            yield url
        finally:
            stop_process(process)

    def stop(self) -> None:
        for process in self.procs.values():
            stop_process(process)


@pytest.fixture(scope="session")
def stack(redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = ensure_model()
    workdir = tmp_path_factory.mktemp("stack")
    database_url = f"sqlite+aiosqlite:///{workdir / 'swa.db'}"
    db.upgrade(database_url)
    records_url = f"sqlite+aiosqlite:///{workdir / 'records.db'}"
    demo.seed(records_url)
    ports = processes.Ports(
        redis=redis_process.port, rasa=free_port(), actions=free_port(), service=free_port()
    )
    # Its own Redis database: the stack runs through the whole session, and its handoff round
    # must not act on the agents that integration tests (database 0, flushed per test) create.
    redis_url = redis_process.url.rsplit("/", 1)[0] + "/1"
    env = processes.environment(redis_url, ports, RASA_TOKEN, database_url)
    # Agents work round the clock here, so that handoff tests do not depend on the hour.
    env["SWA_SERVICE_HOURS"] = "mon-sun 00:00-24:00"
    env["SWA_RECORDS_DATABASE_URL"] = records_url
    stack = Stack(ports=ports, env=env, logs=workdir, procs={})
    try:
        stack.start("actions", processes.actions_command(ports))
        stack.start("rasa", processes.rasa_command(ports, model, RASA_TOKEN))
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{ports.actions}/health", timeout=2).is_success,
            60,
            "action server",
        )
        wait_until(
            lambda: (
                httpx.get(
                    f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=2
                ).is_success
            ),
            180,
            "Rasa server",
        )
        stack.start_service()
        yield stack
    except Exception:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        stack.stop()
