"""Command lines and environments of the stack's processes.

`make run` hands them to honcho; the end-to-end tests start the same commands on free ports,
so what is tested is what runs.
"""

import math
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kernel.redis_connect import DEFAULT_MASTER_NAME
from kernel.settings import EMBEDDED_REDIS_PORT
from stack import redis_server
from stack.paths import CREDENTIALS, ENDPOINTS, RASA_BIN, VAR

# Rasa 3.6 is chatty about its own dependencies' deprecations and phones home unless told not to.
RASA_QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


# How often each Rasa server asks the service whether a new model was published.
MODEL_PULL_S = 5


@dataclass(frozen=True)
class Ports:
    redis: int = EMBEDDED_REDIS_PORT
    rasa: int = 5005
    actions: int = 5055
    service: int = 8000


def redis_env(
    redis_url: str,
    sentinels: str = "",
    master_name: str = DEFAULT_MASTER_NAME,
    sentinel_password: str = "",
) -> dict[str, str]:
    """Rasa's endpoints.yml reads the lock and tracker store address from these (every one must
    be set, empty or not: Rasa refuses an endpoints file naming an unset variable). The
    service and the action server read SWA_REDIS_URL and the same SWA_REDIS_SENTINELS."""
    url = urlsplit(redis_url)
    return {
        "SWA_REDIS_HOST": url.hostname or "127.0.0.1",
        "SWA_REDIS_PORT": str(url.port or 6379),
        "SWA_REDIS_DB": (url.path or "/0").lstrip("/") or "0",
        "SWA_REDIS_PASSWORD": unquote(url.password or ""),
        "SWA_REDIS_SENTINELS": sentinels,
        "SWA_REDIS_MASTER_NAME": master_name,
        "SWA_REDIS_SENTINEL_PASSWORD": sentinel_password,
    }


def rasa_lock_lifetime_s(turn_timeout_s: float) -> int:
    """How long Rasa keeps a conversation's lock: just past the hub's turn timeout. Rasa's own
    default (60 s) outlives a killed Rasa by a minute, during which the user whose turn was in
    flight gets only timeouts; no live turn holds the lock longer than the hub waits for it."""
    return math.ceil(turn_timeout_s) + 2


def environment(
    redis_url: str,
    ports: Ports,
    rasa_token: str,
    database_url: str,
    turn_timeout_s: float = 10.0,
    model: Path | None = None,
) -> dict[str, str]:
    """Every process's environment. Rasa pulls its model from the service (bot/endpoints.yml,
    queue_service/publishing/model_route.py): `model` until the studio first publishes."""
    model_file = {"SWA_RASA_MODEL_FILE": str(model)} if model else {}
    return {
        **os.environ,
        # Sentinels named in the environment reach Rasa too (and the others read them anyway).
        **redis_env(
            redis_url,
            os.environ.get("SWA_REDIS_SENTINELS", ""),
            os.environ.get("SWA_REDIS_MASTER_NAME") or DEFAULT_MASTER_NAME,
            os.environ.get("SWA_REDIS_SENTINEL_PASSWORD", ""),
        ),
        "SWA_REDIS_URL": redis_url,
        "SWA_DATABASE_URL": database_url,
        "SWA_RASA_URL": f"http://127.0.0.1:{ports.rasa}",
        "SWA_RASA_TOKEN": rasa_token,
        "SWA_ACTIONS_URL": f"http://127.0.0.1:{ports.actions}",
        "SWA_PORT": str(ports.service),
        "PYTHONUNBUFFERED": "1",
        "TICKET_LOCK_LIFETIME": str(rasa_lock_lifetime_s(turn_timeout_s)),
        "SWA_RASA_MODEL_URL": f"http://127.0.0.1:{ports.service}/internal/rasa/model",
        "SWA_RASA_MODEL_PULL_S": str(MODEL_PULL_S),
        **model_file,
        **RASA_QUIET,
    }


def redis_command(ports: Ports) -> list[str]:
    data_dir = VAR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    return redis_server.command(ports.redis, data_dir)


def rasa_command(ports: Ports, model: Path, rasa_token: str) -> list[str]:
    return [
        str(RASA_BIN),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(ENDPOINTS),
        "--credentials",
        str(CREDENTIALS),
        "--interface",
        "127.0.0.1",
        "--port",
        str(ports.rasa),
        "--enable-api",
        auth_token_option(rasa_token),
    ]


def auth_token_option(token: str) -> str:
    """One argument, not two: argparse reads a value after a space as an option when it begins
    with "-", and a random url-safe token does so once in 64 (Rasa then exits with status 2)."""
    return f"--auth-token={token}"


def actions_command(ports: Ports) -> list[str]:
    return [sys.executable, "-m", "actions", "--host", "127.0.0.1", "--port", str(ports.actions)]


def service_command(ports: Ports, host: str = "0.0.0.0") -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "queue_service.app:create_app",
        "--factory",
        "--host",
        host,
        "--port",
        str(ports.service),
        "--ws-max-size",
        str(64 * 1024),
        "--no-access-log",
        # A quarter less of the service's CPU a bot turn than asyncio's loop, on the cores the
        # Rasa servers need (bench.chat --cluster's cpu_ms_per_turn, docs/performance.md).
        "--loop",
        "uvloop",
    ]


def shell(command: list[str]) -> str:
    return shlex.join(command)
