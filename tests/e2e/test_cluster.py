"""The production profile (stack/cluster.py) brought up for real: supervisor, nginx in front of
two service instances, a Rasa server, an action server, PostgreSQL and Redis, on free ports in a
folder of its own, so it never meets a running `make run` or `make cluster`.

nginx answers while an instance is killed (it tries the other), supervisor restarts what dies,
and an instance believes X-Forwarded-For from nginx's address only.
"""

import json
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from stack.cluster import supervisorctl
from tests.support.cluster import Cluster, running_cluster
from tests.support.servers import wait_until
from tests.support.webchat import connect_chat_sync

pytestmark = pytest.mark.e2e

# Small, so that the address check below needs only a few sockets.
MAX_CONNECTIONS_PER_IP = 2


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(
        SWA_CLUSTER_SERVICES="2",
        SWA_CLUSTER_RASA="1",
        SWA_CLUSTER_ACTIONS="1",
        SWA_WEBCHAT_MAX_CONNECTIONS_PER_IP=str(MAX_CONNECTIONS_PER_IP),
    ) as running:
        yield running


def test_ready_through_nginx_and_every_process_running(cluster: Cluster) -> None:
    response = httpx.get(f"{cluster.url}/readyz", timeout=5)
    assert response.status_code == 200, response.text
    status = supervisorctl(cluster.layout, "status", check=False).stdout
    names = ("postgres", "redis-0", "redis-1", "sentinel-0", "sentinel-1", "sentinel-2", "nginx")
    for name in (*names, "actions-0", "rasa-0", "service-0", "service-1"):
        assert any(name in line and "RUNNING" in line for line in status.splitlines()), status
    # Demo mode is off: the demo portal is not there.
    assert httpx.get(f"{cluster.url}/portal/demo", timeout=5).status_code == 404


def test_a_web_chat_conversation_through_nginx(cluster: Cluster) -> None:
    ws_url = f"ws://127.0.0.1:{cluster.settings.http_port}/channels/webchat/ws"
    with connect_chat_sync(ws_url, open_timeout=10) as ws:
        session = json.loads(ws.recv(10))
        assert session["type"] == "session", session
        ws.send(json.dumps({"type": "start"}))
        while (frame := json.loads(ws.recv(30)))["type"] != "messages":
            pass
        assert "单一窗口智能客服" in frame["messages"][0]["text"]
        ws.send(json.dumps({"type": "message", "text": "怎么办理卡介质登录"}))
        while (frame := json.loads(ws.recv(30)))["type"] != "messages":
            pass
        assert frame["messages"], frame


def _first_frame(sockets: ExitStack, ws_url: str, forwarded_for: str, **options) -> dict:
    """Opens a chat socket claiming an address (kept open); its first frame: the session, or a
    refusal."""
    headers = {"X-Forwarded-For": forwarded_for}
    try:
        ws = sockets.enter_context(connect_chat_sync(ws_url, additional_headers=headers, **options))
        return json.loads(ws.recv(10))
    except ConnectionClosed as exc:
        # Refused: the error frame and then 1013 (try again later), before or after the hello.
        return {"type": "closed", "code": exc.rcvd.code if exc.rcvd else None}


def test_a_client_cannot_name_its_own_address(cluster: Cluster) -> None:
    """Directly to an instance from 127.0.0.1, X-Forwarded-For is ignored: every socket counts
    against 127.0.0.1, and past the per-address limit one is refused. From nginx's address
    (SWA_CLUSTER_PROXY_ADDR) the same header is believed, so the same sockets all open."""
    port = cluster.settings.service_port(0)
    ws_url = f"ws://127.0.0.1:{port}/channels/webchat/ws"
    claims = [f"10.0.0.{n}" for n in range(1, MAX_CONNECTIONS_PER_IP + 2)]

    with ExitStack() as sockets:
        frames = [_first_frame(sockets, ws_url, claim) for claim in claims]
    assert [f["type"] for f in frames[:-1]] == ["session"] * MAX_CONNECTIONS_PER_IP, frames
    assert frames[-1].get("code") in ("too_many_connections", 1013), frames[-1]

    # The instance forgets closed sockets as it notices them.
    wait_until(lambda: _opens(sockets_url=ws_url), 10, "the closed sockets forgotten")
    with ExitStack() as sockets:
        for claim in claims:
            sock = socket.socket()
            sock.bind((cluster.settings.proxy_addr, 0))
            sock.connect(("127.0.0.1", port))
            frame = _first_frame(sockets, ws_url, claim, sock=sock)
            assert frame["type"] == "session", frame


def _opens(sockets_url: str) -> bool:
    with ExitStack() as sockets:
        return _first_frame(sockets, sockets_url, "10.0.0.99")["type"] == "session"


def test_nginx_answers_while_an_instance_is_killed_and_supervisor_restarts_it(
    cluster: Cluster,
) -> None:
    before = cluster.pid("service:service-0")
    os.kill(before, signal.SIGKILL)
    # nginx finds service-0 refusing connections and sends each request to service-1.
    for _ in range(20):
        response = httpx.get(f"{cluster.url}/readyz", timeout=5)
        assert response.status_code == 200, response.text
    direct = f"http://127.0.0.1:{cluster.settings.service_port(0)}/readyz"
    cluster.wait_restarted("service:service-0", before, direct, 60)
    assert httpx.get(f"{cluster.url}/readyz", timeout=5).status_code == 200


def test_supervisor_restarts_a_killed_action_server(cluster: Cluster) -> None:
    before = cluster.pid("actions:actions-0")
    os.kill(before, signal.SIGKILL)
    health = f"http://127.0.0.1:{cluster.settings.actions_port(0)}/health"
    wait_until(
        lambda: (
            cluster.pid("actions:actions-0") not in (0, before)
            and httpx.get(health, timeout=2).status_code == 200
        ),
        60,
        "actions-0 restarted by supervisor",
    )
