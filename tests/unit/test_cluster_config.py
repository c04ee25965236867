"""The production profile's generated configuration (stack/cluster.py), without starting it:
N of each process from the settings, nginx's proxying rules, and no secret in any file."""

import shutil
import subprocess
from pathlib import Path

import pytest

from queue_service.settings import Settings
from stack import cluster
from stack.cluster import ClusterSettings, Layout


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ClusterSettings, Layout]:
    for key in ("SERVICES", "RASA", "ACTIONS", "ENV_FILE", "DIR", "BASE_PORT", "SENTINEL"):
        monkeypatch.delenv(f"SWA_CLUSTER_{key}", raising=False)
    monkeypatch.setenv("SWA_CLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("SWA_CLUSTER_SERVICES", "3")
    monkeypatch.setenv("SWA_CLUSTER_RASA", "2")
    monkeypatch.setenv("SWA_CLUSTER_ACTIONS", "1")
    monkeypatch.setenv("SWA_CLUSTER_BASE_PORT", "30000")
    settings, _ = cluster.load_environment()
    model = tmp_path / "swa-test.tar.gz"
    model.touch()
    cluster.write_configs(settings, Layout(tmp_path), model)
    return settings, Layout(tmp_path)


def test_an_environment_file_with_fresh_secrets_is_written_once(generated) -> None:
    _, layout = generated
    values = cluster.read_env_file(layout.root / "swa.env")
    for key in cluster.GENERATED_SECRETS:
        assert len(values[key]) >= 32, key
    assert values["SWA_DEMO_MODE"] == "false"
    assert (layout.root / "swa.env").stat().st_mode & 0o077 == 0
    again, _ = cluster.load_environment()
    assert again.postgres_password == values["SWA_CLUSTER_POSTGRES_PASSWORD"]


def test_no_secret_is_written_into_a_generated_config(generated) -> None:
    _, layout = generated
    values = cluster.read_env_file(layout.root / "swa.env")
    text = "".join(p.read_text() for p in layout.etc.iterdir())
    for key in cluster.GENERATED_SECRETS:
        assert values[key] not in text, key
    assert "%(ENV_SWA_RASA_TOKEN)s" in text  # supervisor expands it from its environment


def test_one_program_per_process_and_every_instance_knows_every_rasa(generated) -> None:
    settings, layout = generated
    conf = layout.supervisord_conf.read_text()
    programs = [line for line in conf.splitlines() if line.startswith("[program:")]
    assert sorted(programs) == sorted(
        f"[program:{name}]"
        for name in (
            "postgres",
            "redis-0",
            "redis-1",
            "sentinel-0",
            "sentinel-1",
            "sentinel-2",
            "nginx",
            "actions-0",
            "rasa-0",
            "rasa-1",
            "service-0",
            "service-1",
            "service-2",
        )
    )
    blocks = {b.split("]", 1)[0]: b for b in conf.split("[program:")[1:]}
    for i in range(3):
        block = blocks[f"service-{i}"]
        rasa = [f"http://127.0.0.1:{settings.rasa_port(j)}" for j in range(2)]
        assert f'SWA_RASA_URLS="{",".join(rasa)}"' in block
        assert f"--forwarded-allow-ips {settings.proxy_addr}" in block
        assert "autorestart=true" in block
        # An instance never closes an idle connection nginx may be about to reuse.
        kept = int(block.split("--timeout-keep-alive ", 1)[1].split()[0])
        nginx = (layout.etc / "nginx.conf").read_text()
        upstream = nginx.split("upstream swa_service {", 1)[1].split("}", 1)[0]
        assert kept > int(upstream.split("keepalive_timeout ", 1)[1].split("s;", 1)[0])


def test_nginx_balances_the_instances_and_replaces_the_forwarded_headers(generated) -> None:
    settings, layout = generated
    nginx = (layout.etc / "nginx.conf").read_text()
    for i in range(3):
        assert f"server 127.0.0.1:{settings.service_port(i)} " in nginx
    assert nginx.count("proxy_set_header Upgrade $http_upgrade;") == 2
    for path in ("/channels/webchat/ws", "/console/ws"):
        assert f"location {path} {{" in nginx
    assert "proxy_read_timeout 1h;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "$proxy_add_x_forwarded_for" not in nginx  # a client's own header is not kept
    assert f"proxy_bind {settings.proxy_addr};" in nginx
    limit = int(nginx.split("client_max_body_size ", 1)[1].split(";", 1)[0])
    assert limit > Settings().image_max_bytes


def test_redis_is_a_master_and_a_replica_watched_by_three_sentinels(generated) -> None:
    settings, layout = generated
    master = (layout.etc / "redis-0.conf").read_text()
    replica = (layout.etc / "redis-1.conf").read_text()
    for conf in (master, replica):
        assert "appendonly yes" in conf
        assert "bind 127.0.0.1" in conf
    assert f"port {settings.redis_node_port(0)}" in master
    assert "replicaof" not in master
    assert f"replicaof 127.0.0.1 {settings.redis_node_port(0)}" in replica
    for s in range(3):
        sentinel = (layout.etc / f"sentinel-{s}.conf").read_text()
        assert f"port {settings.sentinel_port(s)}" in sentinel
        # Two of three must agree before the replica is promoted.
        assert f"sentinel monitor swa 127.0.0.1 {settings.redis_node_port(0)} 2" in sentinel
        assert f"down-after-milliseconds swa {settings.sentinel_down_after_ms}" in sentinel
    _, env = cluster.load_environment()
    assert env["SWA_REDIS_SENTINELS"] == settings.redis_sentinels()
    assert len(env["SWA_REDIS_SENTINELS"].split(",")) == 3
    assert env["SWA_REDIS_MASTER_NAME"] == "swa"


def test_redis_and_sentinel_files_are_theirs_once_written(generated, tmp_path: Path) -> None:
    """The sentinels rewrite their files and Redis's at a failover: a second `up` must not
    make the first node master again."""
    settings, layout = generated
    promoted = layout.etc / "redis-0.conf"
    promoted.write_text(promoted.read_text() + "replicaof 127.0.0.1 1\n")
    model = tmp_path / "swa-test.tar.gz"
    cluster.write_configs(settings, layout, model)
    assert promoted.read_text().endswith("replicaof 127.0.0.1 1\n")


def test_one_redis_without_sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SERVICES", "RASA", "ACTIONS", "ENV_FILE", "BASE_PORT"):
        monkeypatch.delenv(f"SWA_CLUSTER_{key}", raising=False)
    monkeypatch.setenv("SWA_CLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("SWA_CLUSTER_SENTINEL", "false")
    settings, env = cluster.load_environment()
    model = tmp_path / "swa-test.tar.gz"
    model.touch()
    cluster.write_configs(settings, Layout(tmp_path), model)
    redis = (tmp_path / "etc" / "redis.conf").read_text()
    assert "appendonly yes" in redis
    assert f"port {settings.redis_port}" in redis
    assert env["SWA_REDIS_SENTINELS"] == ""
    conf = Layout(tmp_path).supervisord_conf.read_text()
    assert "[program:redis]" in conf
    assert "[program:sentinel" not in conf


# Where stack/ensure-cluster (run by `make pytest`) looks for it too: /usr/sbin is not on every
# user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def test_a_drained_instance_is_down_in_nginx_and_only_it(generated) -> None:
    settings, layout = generated
    cluster.write_nginx_conf(settings, layout, drained={1})
    nginx = (layout.etc / "nginx.conf").read_text()
    upstream = nginx.split("upstream swa_service {", 1)[1].split("}", 1)[0]
    servers = [line for line in upstream.splitlines() if line.strip().startswith("server ")]
    assert [line.endswith(" down;") for line in servers] == [False, True, False]
    cluster.write_nginx_conf(settings, layout)
    assert " down;" not in (layout.etc / "nginx.conf").read_text()


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (stack/ensure-cluster)")
@pytest.mark.parametrize("drained", [set(), {0}], ids=["all", "one drained"])
def test_nginx_accepts_the_generated_config(generated, drained) -> None:
    settings, layout = generated
    cluster.write_nginx_conf(settings, layout, drained)
    result = subprocess.run(
        [NGINX, "-t", "-c", str(layout.etc / "nginx.conf"), "-p", str(layout.nginx_temp)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
