"""Several Rasa servers behind the hub (SWA_RASA_URLS): each conversation sticks to one, the
conversations spread over them, and a server that goes away hands its conversations to the
others without a user seeing an apology (issue 21). Stand-in Rasa servers, real Redis and SQL."""

from contextlib import ExitStack

from queue_service.rasa_pool import RasaPool
from tests.support.rasa_standins import recording_rasa
from tests.support.servers import wait_until
from tests.support.service import make_client, part
from tests.support.webchat import open_chat

CONVERSATIONS = 12


def senders(rasa) -> set[str]:
    return {body["sender"] for body in rasa.received}


def test_conversations_stick_to_one_server_and_spread_over_all(redis_process, database_url) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(recording_rasa())
        second = stack.enter_context(recording_rasa())
        client = stack.enter_context(
            make_client(
                redis_process.url, database_url, first.url, rasa_urls=f"{first.url},{second.url}"
            )
        )
        for n in range(CONVERSATIONS):
            with open_chat(client) as ws:
                ws.receive_json()
                for turn in range(3):
                    ws.send_json({"type": "message", "text": f"问题{n}-{turn}"})
                    assert ws.receive_json()["messages"][0]["text"] == f"收到：问题{n}-{turn}"
    # Every conversation's turns went to one server; both servers have conversations.
    assert not senders(first) & senders(second)
    assert len(senders(first)) + len(senders(second)) == CONVERSATIONS
    assert senders(first) and senders(second)
    for rasa in (first, second):
        for sender in senders(rasa):
            assert sum(body["sender"] == sender for body in rasa.received) == 3


def test_a_server_that_goes_away_hands_its_conversations_over(redis_process, database_url) -> None:
    with ExitStack() as stack:
        stays = stack.enter_context(recording_rasa())
        leaving = ExitStack()
        goes = leaving.enter_context(recording_rasa())
        client = stack.enter_context(
            make_client(
                redis_process.url, database_url, stays.url, rasa_urls=f"{stays.url},{goes.url}"
            )
        )
        sockets = []
        for _ in range(CONVERSATIONS):
            ws = stack.enter_context(open_chat(client))
            ws.receive_json()
            ws.send_json({"type": "message", "text": "你好"})
            ws.receive_json()
            sockets.append(ws)
        moved = senders(goes)
        assert moved  # some conversations were on the server that goes away
        leaving.close()  # that server is gone: connections are refused
        for ws in sockets:
            ws.send_json({"type": "message", "text": "还在吗"})
            assert ws.receive_json()["messages"][0]["text"] == "收到：还在吗"
        assert moved <= senders(stays)  # they moved, and nobody got the apology
        checks = client.get("/readyz").json()["checks"]
        assert checks["rasa"] == "ok"  # one server is enough to serve


def test_a_busy_server_keeps_the_service_ready(redis_process, database_url) -> None:
    """A Rasa server busy with turns answers /status late; /readyz, which answers within a
    second, takes the pool watcher's word for it instead of failing on the late answer."""
    with ExitStack() as stack:
        first = stack.enter_context(recording_rasa())
        second = stack.enter_context(recording_rasa())
        client = stack.enter_context(
            make_client(
                redis_process.url, database_url, first.url, rasa_urls=f"{first.url},{second.url}"
            )
        )
        pool = part(client, RasaPool)
        wait_until(pool.serving, 20, "the pool's watcher has found the servers up")
        first.status_delay_s = second.status_delay_s = 1.5  # both busy: /status answers late
        for _ in range(3):  # (no action server here: only the Rasa check is read)
            assert client.get("/readyz").json()["checks"]["rasa"] == "ok"
        # Late is not down: the conversations stay where they are.
        assert len(pool.up()) == 2
