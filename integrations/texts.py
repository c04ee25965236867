"""What the channels themselves say to users (polite Simplified Chinese), whichever channel.

The bot's answers come from the action server and the hub's from the service; these are the
few a channel says on its own: refusing input it cannot take, apologising for a failed turn,
cutting a long answer (the menu entries' titles are in kernel/menu.py). What only one channel
says is in that channel's texts module (webchat/texts.py, wechat/texts.py,
telegram/texts.py).
"""

from kernel.texts import HOTLINE

UNSUPPORTED = "抱歉，目前仅支持文字消息。请用文字描述您的问题，我们会尽快为您解答。"
EMPTY = "请输入您要咨询的问题。"
TOO_LONG = "消息过长，请控制在 {max_chars} 字以内。"
FAILED = f"非常抱歉，系统暂时繁忙，请稍后再试，或拨打{HOTLINE}。"
# Ends an answer cut to what a channel's messages can hold.
CUT_NOTE = "……（内容较长，已截断）"
