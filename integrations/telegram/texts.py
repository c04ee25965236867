"""What only the Telegram channel says (polite Simplified Chinese); the rest is
integrations/texts.py."""

# The bot's commands as Telegram lists them (turns.py registers them at start).
COMMANDS = {
    "menu": "常见问题分类",
    "human": "转人工客服",
    "bind": "绑定单一窗口账号（/bind 绑定码）",
    "unbind": "解除账号绑定",
    "start": "重新开始",
}
UNKNOWN_COMMAND = (
    "抱歉，无法识别该命令。可用命令：/menu 常见问题，/human 转人工，"
    "/bind 绑定码 绑定账号，/unbind 解除绑定。您也可以直接输入问题。"
)
NOT_PRIVATE = "为保护您的信息，请在与本机器人的私聊中咨询。"
EXPIRED_BUTTON = "该选项已过期，请发送 /menu 重新选择。"
# A keyboard needs a message to sit on; a line of buttons alone gets this one.
BUTTONS_ONLY = "请选择："
