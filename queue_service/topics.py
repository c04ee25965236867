"""The bus topics (queue_service/bus.py) every part of the service agrees on.

A user's socket or relay listens to ``conv:<conversation id>``, an agent's console to
``agent:<user name>``, and every console to ``console`` (the waiting lists and tickets changed).
A supervisor listening in on a chat hears ``watch:<conversation id>``: every line between the
user and their agent.
"""

CONSOLE_TOPIC = "console"
# Set on a user's "messages" event whose lines the user's channel sends itself (a ticket's
# answer to a WeChat or Telegram user outside a chat, queue_service/handoff/delivery.py): a
# relay still listening for that user after their chat (integrations/relay.py) skips them, so
# they are not sent twice.
SENT_BY_CHANNEL = "sent_by_channel"


def user_topic(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def agent_topic(agent: str) -> str:
    return f"agent:{agent}"


def watch_topic(conversation_id: str) -> str:
    return f"watch:{conversation_id}"
