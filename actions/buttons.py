"""Buttons that the FAQ's answers and the self-service queries both offer."""

from kernel import menu, payloads

Button = dict[str, str]

HANDOFF_BUTTON: Button = {"title": "没解决？转人工", "payload": payloads.HANDOFF}
MENU_BUTTON: Button = menu.FAQ_MENU.model_dump()
