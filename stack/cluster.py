"""The production profile on one machine: supervisor, nginx, N of each process, PostgreSQL, Redis.

    python -m stack.cluster up       # `make cluster`: write the configs, start, wait until ready
    python -m stack.cluster down     # `make cluster-stop`
    python -m stack.cluster status   # supervisor's view of every process
    python -m stack.cluster migrate  # Alembic upgrade of both databases, while running
    python -m stack.cluster restart  # rolling restart, one process at a time
    python -m stack.cluster config   # only write the configs (to read them)

Everything is generated from the settings below into the cluster's folder (var/cluster/ unless
SWA_CLUSTER_DIR says otherwise), so N is a setting and not N hand-copied blocks:

- supervisord (from PyPI, requirements/app.lock) starts every process and restarts what dies;
- nginx balances the service instances (websockets for the chat and the console, forwarded
  client address and scheme), and is the only peer whose X-Forwarded-* headers the services
  believe (`--forwarded-allow-ips` is nginx's own source address, SWA_CLUSTER_PROXY_ADDR);
- SWA_CLUSTER_SERVICES service instances, SWA_CLUSTER_RASA Rasa servers (sharing Redis lock and
  tracker stores, bot/endpoints.yml) and SWA_CLUSTER_ACTIONS action servers;
- PostgreSQL (Debian's, its own data folder and port) and Redis with append-only persistence.

Every service instance knows every Rasa server (SWA_RASA_URLS, queue_service/rasa_pool.py:
each conversation sticks to one, and moves when it is down); Rasa server j talks to action
server j mod SWA_CLUSTER_ACTIONS.

Secrets come from an environment file (SWA_CLUSTER_ENV_FILE; deploy/swa.env.example shows every
variable). Without one, `up` writes var/cluster/swa.env with fresh random secrets for trying the
profile. Demo mode is always off here, so every process refuses demo or weak secrets.
docs/operations.md is the operator's guide.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from pydantic_settings import BaseSettings, SettingsConfigDict

from stack import processes
from stack.paths import ROOT, VAR

ENV_EXAMPLE = ROOT / "deploy" / "swa.env.example"
# The variables of the environment file that `up` fills with random values when it writes one.
GENERATED_SECRETS = (
    "SWA_IDENTITY_SECRET",
    "SWA_RASA_TOKEN",
    "SWA_PORTAL_JWT_SECRET",
    "SWA_CLUSTER_POSTGRES_PASSWORD",
)
READY_TIMEOUT_S = 300
# What an uploaded image may weigh (Settings.image_max_bytes) plus the multipart envelope.
BODY_HEADROOM_BYTES = 1024 * 1024


class ClusterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWA_CLUSTER_", extra="ignore")

    services: int = 2
    rasa: int = 2
    actions: int = 1
    # Where nginx listens for users (behind a TLS terminator or a firewall in a real deployment).
    listen: str = "0.0.0.0"
    http_port: int = 8080
    # Every internal port is counted from here: services base+i, Rasa base+100+j, action
    # servers base+200+k, PostgreSQL base+300, Redis base+301. All bound to 127.0.0.1.
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
    settings = ClusterSettings(**_cluster_values(env))
    if not settings.postgres_password:
        raise SystemExit(f"SWA_CLUSTER_POSTGRES_PASSWORD is not set (in {path})")
    env.setdefault("SWA_LOG_JSON", "true")
    env.update(
        {
            "SWA_REDIS_URL": settings.redis_url(),
            **processes.redis_env(settings.redis_url()),
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


def _turn_timeout_s(env: dict[str, str]) -> float:
    from queue_service.settings import Settings

    return float(env.get("SWA_RASA_TIMEOUT_S") or Settings.model_fields["rasa_timeout_s"].default)


def _cluster_values(env: dict[str, str]) -> dict[str, str]:
    prefix = "SWA_CLUSTER_"
    fields = ClusterSettings.model_fields
    return {
        key[len(prefix) :].lower(): value
        for key, value in env.items()
        if key.startswith(prefix) and key[len(prefix) :].lower() in fields
    }


# --- the generated configuration -------------------------------------------------------------


def postgres_bin(settings: ClusterSettings) -> Path:
    if settings.postgres_bin:
        return settings.postgres_bin
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise SystemExit("PostgreSQL is not installed: run stack/ensure-cluster")
    return found[-1].parent


def _as_root() -> bool:
    return os.geteuid() == 0


def _program(name: str, command: list[str], env: dict[str, str], **options: str) -> str:
    # supervisor expands %(...)s in its values: a literal % is %%.
    environment = ",".join(f'{k}="{v.replace("%", "%%")}"' for k, v in env.items())
    lines = [
        f"[program:{name}]",
        "command=" + processes.shell(command).replace("%", "%%").replace("%%(ENV_", "%(ENV_"),
        f"directory={ROOT}",
        "autostart=false",
        "autorestart=true",
        "startsecs=3",
        "startretries=10",
        "stopasgroup=true",
        "killasgroup=true",
        "stopwaitsecs=20",
        "redirect_stderr=true",
        f"stdout_logfile=%(here)s/../log/{name}.log",
        "stdout_logfile_maxbytes=50MB",
        "stdout_logfile_backups=5",
    ]
    if environment:
        lines.append(f"environment={environment}")
    lines += [f"{key}={value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def supervisord_conf(settings: ClusterSettings, layout: Layout, model: Path) -> str:
    n_rasa, n_actions = max(settings.rasa, 1), max(settings.actions, 1)
    pg = postgres_bin(settings)
    blocks = [
        "; Generated by stack/cluster.py: edit the settings, not this file.\n"
        "[unix_http_server]\n"
        f"file={layout.socket}\n"
        "chmod=0700\n\n"
        "[supervisord]\n"
        f"logfile={layout.log / 'supervisord.log'}\n"
        f"pidfile={layout.run / 'supervisord.pid'}\n"
        f"childlogdir={layout.log}\n"
        "logfile_maxbytes=50MB\n\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
        "[supervisorctl]\n"
        f"serverurl=unix://{layout.socket}\n",
        _program(
            "postgres",
            [
                str(pg / "postgres"),
                "-D",
                str(layout.postgres),
                "-p",
                str(settings.postgres_port),
                "-k",
                str(layout.run),
                "-c",
                "listen_addresses=127.0.0.1",
            ],
            {},
            autostart="true",
            priority="10",
            stopsignal="INT",
            **({"user": "postgres"} if _as_root() else {}),
        ),
        _program(
            "redis",
            ["redis-server", str(layout.etc / "redis.conf")],
            {},
            autostart="true",
            priority="10",
        ),
        _program(
            "nginx",
            ["nginx", "-c", str(layout.etc / "nginx.conf"), "-p", str(layout.nginx_temp)],
            {},
            autostart="true",
            priority="20",
            stopsignal="QUIT",
        ),
    ]
    for k in range(n_actions):
        port = settings.actions_port(k)
        blocks.append(_program(f"actions-{k}", processes.actions_command(_ports(actions=port)), {}))
    for j in range(n_rasa):
        ports = _ports(rasa=settings.rasa_port(j), actions=settings.actions_port(j % n_actions))
        env = {"SWA_ACTIONS_URL": f"http://127.0.0.1:{ports.actions}"}
        command = processes.rasa_command(ports, model, "%(ENV_SWA_RASA_TOKEN)s")
        blocks.append(_program(f"rasa-{j}", command, env))
    rasa_urls = ",".join(f"http://127.0.0.1:{settings.rasa_port(j)}" for j in range(n_rasa))
    for i in range(settings.services):
        port = settings.service_port(i)
        env = {
            "SWA_PORT": str(port),
            "SWA_RASA_URLS": rasa_urls,
            "SWA_ACTIONS_URL": f"http://127.0.0.1:{settings.actions_port(i % n_actions)}",
        }
        blocks.append(_program(f"service-{i}", service_command(settings, port), env))
    groups = {
        "actions": [f"actions-{k}" for k in range(n_actions)],
        "rasa": [f"rasa-{j}" for j in range(n_rasa)],
        "service": [f"service-{i}" for i in range(settings.services)],
    }
    for group, members in groups.items():
        blocks.append(f"[group:{group}]\nprograms={','.join(members)}\n")
    return "\n".join(blocks)


def _ports(**ports: int) -> processes.Ports:
    return processes.Ports(**ports)


def service_command(settings: ClusterSettings, port: int) -> list[str]:
    """The developer's command line, on loopback, believing X-Forwarded-* from nginx only."""
    return [
        *processes.service_command(_ports(service=port), host="127.0.0.1"),
        "--proxy-headers",
        "--forwarded-allow-ips",
        settings.proxy_addr,
    ]


def redis_conf(settings: ClusterSettings, layout: Layout) -> str:
    return (
        "# Generated by stack/cluster.py.\n"
        "bind 127.0.0.1\n"
        "protected-mode yes\n"
        f"port {settings.redis_port}\n"
        "daemonize no\n"
        f"dir {layout.redis}\n"
        # Every write in the append-only file, flushed to disk each second; an RDB snapshot
        # beside it is the file to copy for a backup (docs/operations.md).
        "appendonly yes\n"
        "appendfsync everysec\n"
        "save 900 1 300 100 60 10000\n"
        "dbfilename dump.rdb\n"
        'logfile ""\n'
    )


def nginx_conf(settings: ClusterSettings, layout: Layout, max_body_bytes: int) -> str:
    upstreams = "\n".join(
        f"        server 127.0.0.1:{settings.service_port(i)} max_fails=1 fail_timeout=5s;"
        for i in range(settings.services)
    )
    temp = layout.nginx_temp
    user = "user www-data;\n" if _as_root() else ""
    proxy = (
        "            proxy_http_version 1.1;\n"
        "            proxy_set_header Host $http_host;\n"
        # Replaced, never appended to: the client's own X-Forwarded-For is not passed on.
        "            proxy_set_header X-Forwarded-For $remote_addr;\n"
        "            proxy_set_header X-Forwarded-Proto $scheme;\n"
        '            proxy_set_header X-Real-IP "";\n'
        '            proxy_set_header Forwarded "";\n'
    )
    websocket = f"""
            proxy_pass http://swa_service;
{proxy}            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # A chat or console socket may be quiet for long stretches.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
            limit_conn per_ip {settings.sockets_per_ip};
"""
    metrics_allow = "".join(
        f"            allow {a.strip()};\n" for a in settings.metrics_allow.split(",") if a.strip()
    )
    return f"""# Generated by stack/cluster.py: edit the settings, not this file.
{user}worker_processes auto;
daemon off;
pid {layout.run / "nginx.pid"};
error_log stderr warn;

events {{
    worker_connections 4096;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp / "client_body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};

    log_format json escape=json '{{"time":"$time_iso8601","client":"$remote_addr",'
        '"method":"$request_method","uri":"$uri","status":$status,'
        '"bytes":$body_bytes_sent,"request_time":$request_time,'
        '"upstream":"$upstream_addr","upstream_time":"$upstream_response_time"}}';
    access_log /dev/stdout json;
    server_tokens off;

    # The largest upload the service accepts (an image) plus its multipart envelope.
    client_max_body_size {max_body_bytes};
    client_body_timeout 30s;
    client_header_timeout 15s;
    keepalive_timeout 65s;

    limit_conn_zone $binary_remote_addr zone=per_ip:10m;
    limit_conn_status 429;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}

    upstream swa_service {{
        # Sockets live long: send a new one to the instance with the fewest open.
        least_conn;
{upstreams}
        keepalive 32;
    }}

    server {{
        listen {settings.listen}:{settings.http_port};
        # nginx's own source address: the one the services believe X-Forwarded-* from.
        proxy_bind {settings.proxy_addr};
        proxy_connect_timeout 2s;
        # A dead instance (refused or reset) is skipped for the next one; a request that may
        # have reached it already (POST) is not sent twice.
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 3;

        location / {{
            proxy_pass http://swa_service;
{proxy}            proxy_set_header Connection "";
            proxy_read_timeout 60s;
            proxy_send_timeout 60s;
        }}

        # Counts only, no personal data (docs/security.md); still not for the whole internet.
        location = /metrics {{
{metrics_allow}            deny all;
            proxy_pass http://swa_service;
{proxy}            proxy_set_header Connection "";
        }}

        location /channels/webchat/ws {{{websocket}        }}

        location /console/ws {{{websocket}        }}
    }}
}}
"""


def write_configs(settings: ClusterSettings, layout: Layout, model: Path) -> None:
    from queue_service.settings import Settings

    for folder in (layout.etc, layout.run, layout.log, layout.redis, layout.nginx_temp):
        folder.mkdir(parents=True, exist_ok=True)
    max_body = Settings().image_max_bytes + BODY_HEADROOM_BYTES
    link_model(layout, model)
    layout.supervisord_conf.write_text(supervisord_conf(settings, layout, layout.model))
    (layout.etc / "nginx.conf").write_text(nginx_conf(settings, layout, max_body))
    (layout.etc / "redis.conf").write_text(redis_conf(settings, layout))
    if _as_root():
        # nginx's workers (www-data) buffer bodies here; PostgreSQL (postgres) owns its socket.
        shutil.chown(layout.nginx_temp, "www-data")
        shutil.chown(layout.run, "postgres")
        layout.run.chmod(0o755)


def link_model(layout: Layout, model: Path) -> None:
    """Point the Rasa servers' model link at `model` (atomically: a Rasa server restarted by
    supervisor meanwhile loads one model or the other, never none)."""
    partial = layout.root / f"model-{os.getpid()}.tar.gz"
    partial.unlink(missing_ok=True)
    partial.symlink_to(model.resolve())
    os.replace(partial, layout.model)


# --- PostgreSQL's data folder, the databases and their schemas ------------------------------


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if _as_root() else command


def init_postgres(settings: ClusterSettings, layout: Layout) -> None:
    """initdb once: superuser swa with the environment file's password, scram over TCP."""
    if (layout.postgres / "PG_VERSION").exists():
        return
    layout.postgres.mkdir(parents=True, exist_ok=True)
    password_file = layout.run / "pg-password"
    password_file.write_text(settings.postgres_password + "\n")
    if _as_root():
        shutil.chown(layout.postgres, "postgres")
        shutil.chown(password_file, "postgres")
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(postgres_bin(settings) / "initdb"),
                    "-D",
                    str(layout.postgres),
                    "-U",
                    "swa",
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        password_file.unlink()


def create_databases(settings: ClusterSettings) -> None:
    url = settings.database_url("postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as connection:
        for name in ("swa", "swa_records"):
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                connection.execute(f'CREATE DATABASE "{name}"')


def migrate(settings: ClusterSettings) -> None:
    """The service's schema and the records' (Alembic, idempotent)."""
    from actions.records import demo
    from actions.records.db import upgrade as upgrade_records
    from queue_service import db

    db.upgrade(settings.database_url())
    if settings.demo_records:
        demo.seed(settings.database_url("swa_records"))
    else:
        upgrade_records(settings.database_url("swa_records"))


# --- up and down -----------------------------------------------------------------------------


def supervisorctl(layout: Layout, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "supervisorctl")]
    return subprocess.run(
        [*command, "-c", str(layout.supervisord_conf), *args],
        check=check,
        capture_output=True,
        text=True,
    )


def wait_for(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError, psycopg.OperationalError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} is not ready after {timeout_s:.0f} s")


def ready(settings: ClusterSettings) -> bool:
    """Every service instance and action server ready, and /readyz answering through nginx."""
    urls = [f"http://127.0.0.1:{settings.service_port(i)}/readyz" for i in range(settings.services)]
    urls += [
        f"http://127.0.0.1:{settings.actions_port(k)}/health"
        for k in range(max(settings.actions, 1))
    ]
    urls.append(f"http://127.0.0.1:{settings.http_port}/readyz")
    return all(httpx.get(url, timeout=3).status_code == 200 for url in urls)


def up() -> int:
    from stack.model import ensure_model

    started = time.monotonic()
    settings, env = load_environment()
    layout = Layout(settings.dir)
    if layout.socket.exists() and supervisorctl(layout, "pid", check=False).returncode == 0:
        raise SystemExit(f"the cluster in {layout.root} is already running (make cluster-stop)")
    model = ensure_model()
    write_configs(settings, layout, model)
    init_postgres(settings, layout)
    supervisord = str(Path(sys.executable).parent / "supervisord")
    # supervisord and so every process it starts has the environment file's values; the
    # generated configs hold no secret.
    subprocess.run([supervisord, "-c", str(layout.supervisord_conf)], env=env, check=True)

    def postgres_ready() -> bool:
        create_databases(settings)
        return True

    wait_for(postgres_ready, 60, "PostgreSQL")
    os.environ.update(env)  # the migrations read the same settings as the processes
    migrate(settings)
    supervisorctl(layout, "start", "actions:*", "rasa:*", "service:*", check=False)
    wait_for(lambda: ready(settings), READY_TIMEOUT_S, "the cluster")
    print(
        f"\n  单一窗口智能客服 cluster is ready in {time.monotonic() - started:.0f} s\n"
        f"  nginx          http://{settings.listen}:{settings.http_port}/\n"
        f"  processes      {settings.services} service, {settings.rasa} Rasa, "
        f"{settings.actions} action server, PostgreSQL :{settings.postgres_port}, "
        f"Redis :{settings.redis_port}\n"
        f"  status         {sys.executable} -m stack.cluster status\n"
        f"  logs           {layout.log}/\n"
        f"  stop           make cluster-stop\n",
        flush=True,
    )
    return 0


def down() -> int:
    settings = ClusterSettings(**_cluster_values(_env_without_secrets()))
    layout = Layout(settings.dir)
    if not layout.supervisord_conf.exists():
        print(f"no cluster in {layout.root}", file=sys.stderr)
        return 0
    pid_file = layout.run / "supervisord.pid"
    result = supervisorctl(layout, "shutdown", check=False)
    if result.returncode != 0 and not pid_file.exists():
        print("the cluster is not running", file=sys.stderr)
        return 0
    deadline = time.monotonic() + 60
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    print("the cluster is stopped", file=sys.stderr)
    return 0


def rolling_restart() -> int:
    """Restart the action servers, Rasa servers and service instances one at a time, each
    answering again before the next goes (after `migrate`, for new code or a new model)."""
    from stack.model import ensure_model

    settings, env = load_environment()
    layout = Layout(settings.dir)
    link_model(layout, ensure_model())
    steps = [
        (f"actions:actions-{k}", f"http://127.0.0.1:{settings.actions_port(k)}/health")
        for k in range(max(settings.actions, 1))
    ]
    steps += [
        (f"rasa:rasa-{j}", f"http://127.0.0.1:{settings.rasa_port(j)}/status")
        for j in range(max(settings.rasa, 1))
    ]
    steps += [
        (f"service:service-{i}", f"http://127.0.0.1:{settings.service_port(i)}/readyz")
        for i in range(settings.services)
    ]
    token = env["SWA_RASA_TOKEN"]
    for name, url in steps:
        supervisorctl(layout, "restart", name)
        params = {"token": token} if name.startswith("rasa") else {}
        wait_for(
            lambda url=url, params=params: httpx.get(url, params=params, timeout=3).is_success,
            READY_TIMEOUT_S,
            name,
        )
        print(f"restarted {name}", file=sys.stderr)
    return 0


def migrate_running() -> int:
    """The schemas brought to the newest revision while the cluster runs (Alembic)."""
    settings, env = load_environment()
    os.environ.update(env)
    migrate(settings)
    print("migrated", file=sys.stderr)
    return 0


def _env_without_secrets() -> dict[str, str]:
    settings = ClusterSettings()
    values = read_env_file(settings.env_path) if settings.env_path.exists() else {}
    return {**values, **os.environ}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status", "migrate", "restart", "config"])
    args = parser.parse_args(argv)
    if args.command == "up":
        return up()
    if args.command == "down":
        return down()
    if args.command == "migrate":
        return migrate_running()
    if args.command == "restart":
        return rolling_restart()
    if args.command == "status":
        settings = ClusterSettings(**_cluster_values(_env_without_secrets()))
        result = supervisorctl(Layout(settings.dir), "status", check=False)
        print(result.stdout, end="")
        return 0
    from stack.model import model_path

    settings, _ = load_environment()
    write_configs(settings, Layout(settings.dir), model_path())
    print(Layout(settings.dir).etc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
