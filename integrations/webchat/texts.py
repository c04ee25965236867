"""What only the web chat says (polite Simplified Chinese): its error frames' messages. The
rest is integrations/texts.py; the card login's texts are queue_service/identity/card_texts.py."""

BAD_MESSAGE = "消息格式不正确，请刷新页面后重试。"
# For a socket that does not say which conversation it wants (a page from before the session
# secret, still in a browser's cache, waits for the server to speak first).
NO_HELLO = "连接未能建立，请刷新页面后重试。"
TOO_MANY_CONNECTIONS = "您打开的对话窗口过多，请关闭部分窗口后刷新页面重试。"
RATE_LIMITED = "您发送得太快了，请稍候再试。"
LOGIN_UNAVAILABLE = "非常抱歉，暂时无法验证您的登录信息，请稍后再试。"
# A turn could not be completed (the database or Redis did not answer): the page keeps the
# message and sends it again.
UNAVAILABLE = "非常抱歉，系统暂时繁忙，您的消息将自动重新发送，请稍候。"
# A bot turn waits in line because many users ask at once; its answer follows.
BUSY = "正在处理，请稍候…"
