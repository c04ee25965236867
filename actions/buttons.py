"""Buttons that the FAQ's answers and the self-service queries both offer."""

from kernel import payloads

Button = dict[str, str]

HANDOFF_BUTTON: Button = {"title": "没解决？转人工", "payload": payloads.HANDOFF}
MENU_BUTTON: Button = {"title": "常见问题", "payload": payloads.FAQ_MENU}
