"""The entries every channel offers outside the bot's answers (its menu), and the bot's and the
service's own buttons to the same places.

A WeChat menu click and a Telegram command send the same button a web chat user clicks in the
bot's greeting, so the bot cannot tell the channels apart; the titles are the same everywhere.
"""

from kernel import payloads
from kernel.messages import Button

FAQ_MENU = Button(title="常见问题", payload=payloads.FAQ_MENU)
QUERY_RECORDS = Button(title="自助查询", payload=payloads.QUERY_RECORDS)
HANDOFF = Button(title="转人工", payload=payloads.HANDOFF)
