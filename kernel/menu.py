"""The entries every channel offers outside the bot's answers (its menu), and the bot's and the
service's own buttons to the same places.

A WeChat menu click and a Telegram command send the same button a web chat user clicks in the
bot's greeting, so the bot cannot tell the channels apart; the titles are the same everywhere.
"""

from kernel import payloads
from kernel.messages import Button

_TITLES = {payload: title for title, payload in payloads.MENU.items()}
FAQ_MENU = Button(title=_TITLES[payloads.FAQ_MENU], payload=payloads.FAQ_MENU)
QUERY_RECORDS = Button(title=_TITLES[payloads.QUERY_RECORDS], payload=payloads.QUERY_RECORDS)
HANDOFF = Button(title=_TITLES[payloads.HANDOFF], payload=payloads.HANDOFF)
