"""The payloads the bot's buttons carry and channels send for their own menus and commands.

A payload is a Rasa intent, sent as the user's message so that a click is understood exactly,
without NLU: `/intent`, or `/intent{"entity":"value",...}` (kernel/messages.py checks the shape
of every payload a client sends). One name for each, for every process that makes or reads one.
"""

import json

GREET = "/greet"  # a conversation opened: the bot's greeting and menu
HANDOFF = "/handoff"  # 转人工, optionally with {"skill": ...}
FAQ_MENU = "/faq_menu"  # 常见问题: the categories of hot questions
QUERY_RECORDS = "/query_records"  # 自助查询, or a query with its conditions

# The menu every channel shows, by title (kernel/menu.py makes its buttons from these). A title
# typed alone is that button (issue 17, typed equals clicked; kernel/messages.py): "自助查询"
# typed lists the user's records as the button does, not the FAQ's how-to.
MENU = {"常见问题": FAQ_MENU, "自助查询": QUERY_RECORDS, "转人工": HANDOFF}

# The key of the custom payload with which the bot hands a user over: {"handoff": {"skill": ...}}
# (actions/handoff.py writes it, the hub reads it).
HANDOFF_KEY = "handoff"


def with_entities(intent: str, **entities: str) -> str:
    """`/intent{"entity":"value",...}`, compact, entities without a value left out."""
    values = {name: value for name, value in entities.items() if value}
    if not values:
        return intent
    return intent + json.dumps(values, ensure_ascii=False, separators=(",", ":"))
