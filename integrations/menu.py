"""The entries every channel offers outside the bot's answers: its menu.

A WeChat menu click and a Telegram command send the same button a web chat user clicks in the
bot's greeting, so the bot cannot tell the channels apart.
"""

from integrations import texts
from kernel import payloads
from kernel.messages import Button

FAQ_MENU = Button(title=texts.FAQ_MENU, payload=payloads.FAQ_MENU)
QUERY_RECORDS = Button(title=texts.QUERY_RECORDS, payload=payloads.QUERY_RECORDS)
HANDOFF = Button(title=texts.HANDOFF, payload=payloads.HANDOFF)
