"""A real Redis master, its replica and three sentinels on free ports, from the same
configuration the production profile writes (stack/cluster_redis.py), without supervisor."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from kernel.redis_connect import SentinelConfig
from stack.cluster_redis import redis_conf, sentinel_conf
from tests.support.servers import free_port, port_open, wait_until

MASTER_NAME = "swa"


def sentinel_binary() -> str:
    found = shutil.which("redis-sentinel")
    if found is None:
        # Debian's redis-sentinel, installed by the project's own script like nginx is.
        root = Path(__file__).resolve().parents[2]
        subprocess.run([str(root / "stack" / "ensure-cluster")], check=True)
        found = shutil.which("redis-sentinel") or "redis-sentinel"
    return found


class SentinelSet:
    """Node 0 starts as master, node 1 as its replica; sentinels fail over after down_after_ms."""

    def __init__(self, workdir: Path, down_after_ms: int = 1000) -> None:
        self.workdir = workdir
        self.down_after_ms = down_after_ms
        self.node_ports = [free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.nodes: list[subprocess.Popen | None] = [None, None]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def config(self) -> SentinelConfig:
        return SentinelConfig(tuple(("127.0.0.1", p) for p in self.sentinel_ports), MASTER_NAME)

    @property
    def sentinels_setting(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    @property
    def url(self) -> str:
        """SWA_REDIS_URL beside SWA_REDIS_SENTINELS: its host and port are not used."""
        return f"redis://127.0.0.1:{self.node_ports[0]}/0"

    def start(self) -> None:
        for n in range(2):
            self.start_node(n)
        for s, port in enumerate(self.sentinel_ports):
            folder = self.workdir / f"sentinel-{s}"
            folder.mkdir(parents=True, exist_ok=True)
            conf = folder / "sentinel.conf"
            conf.write_text(
                sentinel_conf(port, folder, MASTER_NAME, self.node_ports[0], self.down_after_ms)
            )
            self.sentinels.append(
                subprocess.Popen([sentinel_binary(), str(conf)], stdout=subprocess.DEVNULL)
            )
        for port in self.sentinel_ports:
            wait_until(lambda port=port: port_open(port), 10, "redis-sentinel")
        wait_until(self._replica_known, 30, "the sentinels see the replica")
        wait_until(self._replica_online, 30, "the replica in sync")

    def start_node(self, n: int) -> None:
        folder = self.workdir / f"redis-{n}"
        folder.mkdir(parents=True, exist_ok=True)
        conf = folder / "redis.conf"
        if not conf.exists():  # Redis rewrites it when a sentinel reconfigures it
            replica_of = None if n == 0 else self.node_ports[0]
            conf.write_text(redis_conf(self.node_ports[n], folder, replica_of))
        self.nodes[n] = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", str(conf)],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.node_ports[n]), 10, "redis-server")

    def _replica_known(self) -> bool:
        with redis.Redis(port=self.sentinel_ports[0], decode_responses=True) as sentinel:
            replicas = sentinel.sentinel_slaves(MASTER_NAME)
            peers = sentinel.sentinel_sentinels(MASTER_NAME)
        return any("s_down" not in r["flags"] for r in replicas) and len(peers) == 2

    def _replica_online(self) -> bool:
        with redis.Redis(port=self.master_port(), decode_responses=True) as master:
            replica = master.info("replication").get("slave0")
        return isinstance(replica, dict) and replica.get("state") == "online"

    def master_port(self) -> int:
        """The master as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                with redis.Redis(port=port, socket_timeout=1, decode_responses=True) as sentinel:
                    return int(sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)[1])
            except redis.RedisError:
                continue
        raise RuntimeError("no sentinel answers")

    def kill_master(self) -> int:
        """kill -9 the current master; its node number."""
        n = self.node_ports.index(self.master_port())
        process = self.nodes[n]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(5)
        return n

    def wait_for_new_master(self, old_port: int, timeout_s: float = 30) -> float:
        """Seconds until the sentinels name another master (the failover's length)."""
        started = time.monotonic()
        wait_until(lambda: self.master_port() != old_port, timeout_s, "a failover")
        return time.monotonic() - started

    def stop(self) -> None:
        for process in [*self.sentinels, *self.nodes]:
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
