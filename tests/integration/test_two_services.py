"""Two service instances on one Redis and one database: the user's socket on one, the agent's
console on the other; every line still arrives (delivery goes through Redis, not memory)."""

from redis.asyncio import Redis

from queue_service.handoff.queue import AgentStatus, HandoffQueue
from tests.integration.test_console_api import PASSWORD, create_account, open_console
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part
from tests.support.webchat import open_chat


def test_agent_and_user_on_different_instances(redis_process, database_url) -> None:
    def instance():
        return make_client(
            redis_process.url, database_url, closed_port_url(), service_hours="mon-sun 00:00-24:00"
        )

    wang = create_account(database_url)
    with instance() as users_side, instance() as agents_side:
        users_side.portal.call(part(users_side, Redis).flushdb)
        login = {"username": wang, "password": PASSWORD}
        assert agents_side.post("/console/api/login", json=login).status_code == 200
        with (
            open_console(agents_side) as console,
            open_chat(users_side) as chat,
        ):
            agents_side.put("/console/api/status", json={"status": "online"})
            user = "webchat:" + chat.receive_json()["conversation_id"]
            # The user asks on their instance; the assignment is announced to the other one.
            chat.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
            chat.receive_json()  # place in the queue
            greeting = chat.receive_json()["messages"][0]
            assert greeting["role"] == "agent"
            while console.receive_json()["type"] != "assigned":
                pass

            agents_side.post(
                "/console/api/chats/reply", json={"conversation_id": user, "text": "您好，请讲"}
            )
            assert chat.receive_json()["messages"][0]["text"] == "您好，请讲"
            chat.send_json({"type": "message", "text": "报关单打印不了"})
            chat.receive_json()  # the empty turn reply
            while (event := console.receive_json())["type"] != "message":
                pass
            assert event["message"]["text"] == "报关单打印不了"

            agents_side.post(
                "/console/api/chats/close",
                json={"conversation_id": user, "disposition": "resolved"},
            )
            assert chat.receive_json()["messages"][0]["buttons"][0]["payload"] == "/csat_5"
        queue = part(users_side, HandoffQueue)
        agent = users_side.portal.call(queue.agent, wang)
        assert (agent.status, agent.load) == (AgentStatus.ONLINE, 0)
