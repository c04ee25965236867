"""`make run`: bring the whole embedded stack up, say where it is, stop it cleanly on Ctrl-C.

honcho supervises the processes (each in its own process group, all terminated together when
one exits or on Ctrl-C); this module only prepares what they need first — the database schema
and a trained model — and watches for the moment the stack is ready to use.
"""

import os
import threading
import time
from urllib.parse import urlsplit

import httpx
from honcho.manager import Manager
from honcho.printer import Printer

from actions.records import demo
from queue_service import db
from queue_service.secret_policy import require_safe
from queue_service.settings import Settings
from stack import processes
from stack.model import ensure_model
from stack.paths import ROOT, VAR

READY_TIMEOUT_S = 300


def _uses_embedded_redis() -> bool:
    """An explicit SWA_REDIS_URL means an external Redis that someone else runs."""
    return "SWA_REDIS_URL" not in os.environ


def _announce_when_ready(settings: Settings, ports: processes.Ports) -> None:
    service = f"http://127.0.0.1:{ports.service}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "not started"
    while time.monotonic() < deadline:
        try:
            ready = httpx.get(f"{service}/readyz", timeout=2)
            actions = httpx.get(f"http://127.0.0.1:{ports.actions}/health", timeout=2)
            if ready.status_code == 200 and actions.status_code == 200:
                public = settings.public_url.rstrip("/")
                print(
                    "\n"
                    "  单一窗口智能客服 is ready\n"
                    f"{_demo_lines(settings)}"
                    f"  Web chat       {public}/\n"
                    f"  Agent console  {public}/console (accounts: README, Agent accounts)\n"
                    f"  API docs       {public}/docs\n"
                    f"  Rasa server    http://127.0.0.1:{ports.rasa} (loopback only)\n"
                    f"  Actions        http://127.0.0.1:{ports.actions} (loopback only)\n"
                    "  Press Ctrl-C to stop.\n",
                    flush=True,
                )
                return
            last = ready.text
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(1)
    print(f"\n  The stack is not ready after {READY_TIMEOUT_S} s: {last}\n", flush=True)


def _demo_lines(settings: Settings) -> str:
    if not settings.demo_mode:
        return ""
    return (
        "  Demo mode      ON: published demo secrets, demo portal and cards; "
        "never expose it (README, Going live)\n"
        f"  Demo portal    {settings.portal_login_url()} (log in as a demo user)\n"
    )


def main() -> int:
    # A developer's launcher: demo mode unless the environment says otherwise. Every process
    # started below inherits the switch (and refuses demo secrets without it).
    os.environ.setdefault("SWA_DEMO_MODE", "true")
    settings = Settings()
    require_safe(settings)
    ports = processes.Ports(
        rasa=urlsplit(settings.rasa_url).port or 5005,
        actions=urlsplit(settings.actions_url).port or 5055,
        service=settings.port,
    )
    token = settings.rasa_token.get_secret_value()
    VAR.mkdir(exist_ok=True)

    db.upgrade(settings.database_url)
    demo.seed(settings.records_database_url)
    model = ensure_model()
    env = processes.environment(
        settings.redis_url, ports, token, settings.database_url, settings.rasa_timeout_s, model
    )

    commands = {
        "redis": processes.redis_command(ports) if _uses_embedded_redis() else None,
        "rasa": processes.rasa_command(ports, model, token),
        "actions": processes.actions_command(ports),
        "service": processes.service_command(ports, settings.host),
    }
    manager = Manager(Printer())
    for name, command in commands.items():
        if command:
            manager.add_process(name, processes.shell(command), cwd=ROOT, env=env)
    threading.Thread(target=_announce_when_ready, args=(settings, ports), daemon=True).start()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())
