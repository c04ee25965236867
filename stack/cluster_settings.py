"""The production profile's settings (SWA_CLUSTER_*), its folder's layout and its environment
file: what every other part of stack/cluster*.py is generated from (stack/cluster.py says how).
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.redis_connect import DEFAULT_MASTER_NAME
from stack import processes
from stack.paths import ROOT, VAR

ENV_EXAMPLE = ROOT / "deploy" / "swa.env.example"
# The variables of the environment file that `up` fills with random values when it writes one.
# Three sentinels: a failover needs a majority (two) to agree, so one sentinel may be lost.
SENTINELS = 3
GENERATED_SECRETS = (
    "SWA_IDENTITY_SECRET",
    "SWA_RASA_TOKEN",
    "SWA_PORTAL_JWT_SECRET",
    "SWA_CLUSTER_POSTGRES_PASSWORD",
)


class ClusterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWA_CLUSTER_", extra="ignore")

    services: int = 2
    rasa: int = 2
    actions: int = 1
    # Where nginx listens for users (behind a TLS terminator or a firewall in a real deployment).
    listen: str = "0.0.0.0"
    http_port: int = 8080
    # Every internal port is counted from here: services base+i, Rasa base+100+j, action
    # servers base+200+k, PostgreSQL base+300, Redis base+301 (its replica base+302), the
    # sentinels base+311+s. All bound to 127.0.0.1.
    base_port: int = 18000
    # nginx's source address towards the services, and the only address whose X-Forwarded-*
    # the services believe: a loopback address of its own, so that a local client connecting
    # to an instance directly (from 127.0.0.1) cannot name its own address.
    proxy_addr: str = "127.0.0.2"
    dir: Path = VAR / "cluster"
    env_file: Path | None = None
    postgres_password: str = ""
    postgres_bin: Path | None = None
    # Open chat and console sockets per client address, all instances together (nginx
    # limit_conn; each instance has its own SWA_WEBCHAT_MAX_CONNECTIONS_PER_IP besides).
    sockets_per_ip: int = 200
    # Who may read /metrics through nginx (an nginx allow list); Prometheus may also scrape an
    # instance's own port, where any instance reports the shared figures.
    metrics_allow: str = "127.0.0.1"
    # Redis Sentinel (stack/cluster_redis.py, docs/operations.md): a master and a replica
    # (base+301, base+302) watched by three sentinels, which promote the replica when the
    # master is gone; every process finds the master through them. Off: one Redis (base+301).
    sentinel: bool = True
    # How long the master may not answer before the sentinels call it down and fail over:
    # shorter fails over sooner, and risks a failover for a pause (an fsync, a busy machine).
    sentinel_down_after_ms: int = 2000
    # Fill the records database with the demo set (a stand-in back end to try the profile with).
    demo_records: bool = False

    def service_port(self, i: int) -> int:
        return self.base_port + i

    def rasa_port(self, j: int) -> int:
        return self.base_port + 100 + j

    def actions_port(self, k: int) -> int:
        return self.base_port + 200 + k

    @property
    def postgres_port(self) -> int:
        return self.base_port + 300

    @property
    def redis_port(self) -> int:
        return self.base_port + 301

    def redis_node_port(self, n: int) -> int:
        """Redis node n: 0 is the first master, 1 its replica (the sentinels may swap them)."""
        return self.redis_port + n

    def sentinel_port(self, s: int) -> int:
        return self.base_port + 311 + s

    def redis_sentinels(self) -> str:
        """SWA_REDIS_SENTINELS for every process: empty without Sentinel."""
        if not self.sentinel:
            return ""
        return ",".join(f"127.0.0.1:{self.sentinel_port(s)}" for s in range(SENTINELS))

    @property
    def env_path(self) -> Path:
        return self.env_file or self.dir / "swa.env"

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def database_url(self, name: str = "swa") -> str:
        password = quote(self.postgres_password, safe="")
        return f"postgresql+psycopg://swa:{password}@127.0.0.1:{self.postgres_port}/{name}"


@dataclass(frozen=True)
class Layout:
    """The cluster folder: generated configs, data, sockets and logs."""

    root: Path

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    @property
    def nginx_temp(self) -> Path:
        return self.root / "nginx"

    @property
    def model(self) -> Path:
        """A link to the model the Rasa servers load (`restart` points it at a new one)."""
        return self.root / "model.tar.gz"

    @property
    def supervisord_conf(self) -> Path:
        return self.etc / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.run / "supervisor.sock"


# --- the environment file ------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments are skipped, quotes around a value removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def write_env_file(path: Path) -> None:
    """The example, its empty secrets filled with fresh random ones (readable by the owner only)."""
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        key = line.split("=", 1)[0]
        if key in GENERATED_SECRETS and line.strip() == f"{key}=":
            line = f"{key}={secrets.token_urlsafe(32)}"
        lines.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")


def load_environment() -> tuple[ClusterSettings, dict[str, str]]:
    """The cluster's settings and the environment every process starts with: the environment
    file, then this process's environment over it (so a test or an operator can override)."""
    settings = ClusterSettings()
    path = settings.env_path
    if not path.exists():
        if settings.env_file is not None:
            raise SystemExit(f"no environment file at {path}")
        write_env_file(path)
        print(f"Wrote {path} with fresh random secrets", file=sys.stderr)
    env = {**read_env_file(path), **os.environ}
    env["SWA_DEMO_MODE"] = "false"
    settings = ClusterSettings(**cluster_values(env))
    if not settings.postgres_password:
        raise SystemExit(f"SWA_CLUSTER_POSTGRES_PASSWORD is not set (in {path})")
    env.setdefault("SWA_LOG_JSON", "true")
    env.update(
        {
            "SWA_REDIS_URL": settings.redis_url(),
            **processes.redis_env(
                settings.redis_url(),
                settings.redis_sentinels(),
                master_name(env),
                env.get("SWA_REDIS_SENTINEL_PASSWORD", ""),
            ),
            "SWA_DATABASE_URL": settings.database_url(),
            "SWA_RECORDS_DATABASE_URL": settings.database_url("swa_records"),
            "PYTHONUNBUFFERED": "1",
            # Rasa's conversation locks: just past the service's turn timeout (processes.py).
            "TICKET_LOCK_LIFETIME": str(processes.rasa_lock_lifetime_s(_turn_timeout_s(env))),
            **processes.RASA_QUIET,
        }
    )
    env.setdefault("SWA_PUBLIC_URL", f"http://127.0.0.1:{settings.http_port}")
    return settings, env


def master_name(env: dict[str, str]) -> str:
    """The sentinels' name for our master (SWA_REDIS_MASTER_NAME)."""
    return env.get("SWA_REDIS_MASTER_NAME") or DEFAULT_MASTER_NAME


def _turn_timeout_s(env: dict[str, str]) -> float:
    from queue_service.settings import Settings

    return float(env.get("SWA_RASA_TIMEOUT_S") or Settings.model_fields["rasa_timeout_s"].default)


def cluster_values(env: dict[str, str]) -> dict[str, str]:
    prefix = "SWA_CLUSTER_"
    fields = ClusterSettings.model_fields
    return {
        key[len(prefix) :].lower(): value
        for key, value in env.items()
        if key.startswith(prefix) and key[len(prefix) :].lower() in fields
    }


def as_root() -> bool:
    return os.geteuid() == 0


def env_without_secrets() -> dict[str, str]:
    settings = ClusterSettings()
    values = read_env_file(settings.env_path) if settings.env_path.exists() else {}
    return {**values, **os.environ}
