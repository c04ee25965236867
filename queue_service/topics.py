"""The bus topics (queue_service/bus.py) every part of the service agrees on.

A user's socket or relay listens to ``conv:<conversation id>``, an agent's console to
``agent:<user name>``, and every console to ``console`` (the waiting lists and tickets changed).
"""

CONSOLE_TOPIC = "console"


def user_topic(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def agent_topic(agent: str) -> str:
    return f"agent:{agent}"
