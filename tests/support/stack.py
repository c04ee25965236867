"""The real stack on free ports: Redis (given), the action server, Rasa and the service.

Started with the same command lines `make run` uses (stack.processes), with a throwaway SQLite
database, for the end-to-end tests and the load benchmark alike.
"""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from actions.records import demo
from queue_service import db
from stack import processes
from stack.model import ensure_model
from stack.paths import ROOT
from tests.support.servers import free_port, stop_process, wait_until

RASA_TOKEN = "e2e-test-rasa-token"


@dataclass
class Stack:
    ports: processes.Ports
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen]
    commands: dict[str, list[str]] = field(default_factory=dict)

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
        self.commands[name] = command
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """kill -9, as a crash would: nothing is flushed, nothing is said goodbye."""
        process = self.procs.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def restart(self, name: str) -> None:
        """Start a killed process again with the same command line (ready: see wait_ready)."""
        self.start(name, self.commands[name])

    def pause(self, name: str, on: bool) -> None:
        """SIGSTOP (a hang: connections stay open, nothing answers) or SIGCONT."""
        os.killpg(self.procs[name].pid, signal.SIGSTOP if on else signal.SIGCONT)

    def actions_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.ports.actions}/health"
        return httpx.get(url, timeout=2).is_success

    def rasa_ready(self) -> bool:
        return httpx.get(
            f"{self.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=2
        ).is_success

    def start_service(self, wait: bool = True) -> None:
        self.start("service", processes.service_command(self.ports, host="127.0.0.1"))
        if wait:
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


@contextmanager
def started_stack(
    redis_url: str, workdir: Path, database_url: str | None = None, **env: str
) -> Iterator[Stack]:
    """Every process up and answering, then stopped; `env` adds settings (SWA_...). The
    service's database is a SQLite file in workdir unless `database_url` names another."""
    model = ensure_model()
    database_url = database_url or f"sqlite+aiosqlite:///{workdir / 'swa.db'}"
    db.upgrade(database_url)
    records_url = f"sqlite+aiosqlite:///{workdir / 'records.db'}"
    demo.seed(records_url)
    ports = processes.Ports(
        redis=int(redis_url.rsplit(":", 1)[1].split("/")[0]),
        rasa=free_port(),
        actions=free_port(),
        service=free_port(),
    )
    environment = processes.environment(redis_url, ports, RASA_TOKEN, database_url, model=model)
    environment["SWA_RECORDS_DATABASE_URL"] = records_url
    environment.update(env)
    stack = Stack(ports=ports, env=environment, logs=workdir, procs={})
    try:
        stack.start("actions", processes.actions_command(ports))
        stack.start("rasa", processes.rasa_command(ports, model, RASA_TOKEN))
        # Rasa loads its model from the service (queue_service/publishing/model_route.py).
        stack.start_service(wait=False)
        wait_until(stack.actions_ready, 60, "action server")
        wait_until(stack.rasa_ready, 180, "Rasa server")
        wait_until(stack.service_ready, 60, "service")
        yield stack
    except Exception:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        stack.stop()
