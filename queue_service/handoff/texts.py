"""What the service says to users about agents, queues, messages left and ratings (polite
Simplified Chinese): the handoff desk's, the switchboard's and the hub's own lines, in one place.

The channels' own texts are integrations/texts.py, the identity desk's queue_service/identity/
texts.py; what the service and the card bridge both say is kernel/texts.py.
"""

from kernel.texts import HOTLINE

# The longest message a user may leave (tickets.py holds them to it).
MAX_TICKET_CHARS = 1000

# The hub: the bot cannot answer, or nobody can be handed a user.
BOT_UNAVAILABLE_TEXT = (
    f"非常抱歉，智能客服暂时无法应答。您可以稍后再试，或转接人工客服，也可拨打{HOTLINE}。"
)
# Where the conversation stands cannot be read (Redis down or hanging): the message is kept in
# the transcript but neither the bot nor an agent has it, so the user is asked to send it again.
NOT_DELIVERED_TEXT = (
    f"非常抱歉，系统暂时繁忙，您刚才的消息未能送达。请稍后重新发送，或拨打{HOTLINE}。"
)
HANDOFF_UNAVAILABLE_TEXT = (
    f"非常抱歉，人工客服转接暂时不可用，请稍后再试，或拨打{HOTLINE}。"
)

# The desk: waiting, leaving a message (留言), rating a chat.
CANCEL_TITLE = "取消排队"
LEAVE_MESSAGE_TITLE = "留言"
BACK_TO_BOT_TITLE = "返回智能客服"
QUEUED_TEXT = "已为您转接{skill}人工客服，您前面还有 {ahead} 位用户，{wait}请稍候。"
WAIT_TEXT = "预计等待约 {minutes} 分钟，"
# Queued with an agent free to take the user at once (their greeting follows).
CONNECTING_TEXT = "正在为您接通{skill}人工客服，请稍候。"
STILL_QUEUED_TEXT = (
    "您正在排队等待人工客服，当前排在第 {position} 位。您的消息已记录，客服接入后可以看到。"
)
WITH_AGENT_TEXT = "客服正在为您服务，请直接发送您的问题。"
OUTSIDE_HOURS_TEXT = "现在是人工客服的非工作时间{next_opening}。"
NEXT_OPENING_TEXT = "（下次服务时间：{when}）"
NO_AGENT_TEXT = "非常抱歉，目前没有空闲的人工客服。"
MAX_WAIT_TEXT = "非常抱歉，让您久等了，人工客服仍然忙碌。"
OFFER_TEXT = f"您可以留言，我们会在工作时间尽快与您联系；也可以拨打{HOTLINE}。"
ASK_TEXT_TEXT = f"请简要描述您的问题（{MAX_TICKET_CHARS} 字以内）："
ASK_CONTACT_TEXT = "请留下您的联系方式（手机号码、带区号的固定电话或电子邮箱），方便客服与您联系："
TICKET_FAILED_TEXT = (
    f"非常抱歉，留言暂时无法提交。请稍后再发送一次联系方式，或拨打{HOTLINE}。"
)
# The text of a message whose user gave only a phone number or e-mail (for the help desk).
CONTACT_ONLY_TICKET_TEXT = "（用户只留下了联系方式，未描述问题，请联系用户了解情况）"
TICKET_TEXT = "留言已提交，编号 {id}。客服会在工作时间尽快与您联系。您可以继续向智能客服提问。"
TOO_MANY_HANDOFFS_TEXT = (
    f"非常抱歉，转接人工客服的请求过于频繁，请稍后再试，或拨打{HOTLINE}。"
)
TOO_MANY_TICKETS_TEXT = f"非常抱歉，今天的留言次数已达上限，请明天再试，或拨打{HOTLINE}。"
CANCELLED_TEXT = "已取消排队。您可以继续向智能客服提问。"
NOT_QUEUED_TEXT = "您当前没有在排队。您可以继续向智能客服提问，或点击“转人工”。"
BACK_TEXT = "好的，已返回智能客服，您可以继续提问。"
RATE_TEXT = "本次人工服务已结束，感谢您的耐心。请为本次服务评分："
RATED_TEXT = "感谢您的评价！如有意见或建议，可以直接写下来发送给我们；也可以点击“返回智能客服”。"
COMMENTED_TEXT = "感谢您的宝贵意见！您可以继续向智能客服提问。"
RATINGS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}

# The switchboard: an agent takes, transfers or loses the user.
CONNECTED_TEXT = "您好，我是{name}，很高兴为您服务。请问有什么可以帮您？"
# The user ends the chat with the agent: the button's title, and words typed to the same end.
END_CHAT_TITLE = "结束人工服务"
END_CHAT_WORDS = frozenset({"结束人工服务", "结束人工", "结束会话", "结束人工会话", "结束对话"})
POSITION_TEXT = "您前面还有 {ahead} 位用户，请耐心等候。"
TRANSFERRED_TEXT = "已为您转接{skill}人工客服，您前面还有 {ahead} 位用户，请稍候。"
HANDED_OVER_TEXT = "正在为您转接其他客服，请稍候。"
# A supervisor took the chat over from its agent (the supervisor's greeting follows).
TAKEN_OVER_TEXT = "您的会话已由客服主管接手，将继续为您服务。"
DROPPED_TEXT = "非常抱歉，客服连接中断。已为您重新排队，您现在排在第 {position} 位，请稍候。"

# A message left (tickets.py checks it).
TEXT_EMPTY = "留言内容不能为空，请简要描述您的问题。"
TEXT_TOO_LONG = f"留言内容请控制在 {MAX_TICKET_CHARS} 字以内。"
CONTACT_INVALID = (
    "联系方式格式不正确，请留下 11 位手机号码、带区号的固定电话（如 010-86398038）或电子邮箱。"
)

# A ticket's life as the user sees it (ticket_desk.py): taken, answered, closed.
TICKET_STATUS_TITLES = {
    "open": "待处理",
    "in_progress": "处理中",
    "replied": "已回复",
    "closed": "已关闭",
}
TICKET_TAKEN_TEXT = "您的留言（编号 {id}）已由{name}受理，当前状态：处理中。"
TICKET_REPLY_TEXT = (
    "关于您的留言（编号 {id}）的回复：\n{text}\n\n"
    "当前状态：已回复。如仍有疑问，可以继续提问或再次留言。"
)
TICKET_CLOSED_TEXT = "您的留言（编号 {id}）已处理完毕，当前状态：已关闭。感谢您的耐心等待！"

# To the agent answering a ticket (ticket_desk.py checks it).
MAX_TICKET_REPLY_CHARS = 2000
REPLY_EMPTY = "回复内容不能为空。"
REPLY_TOO_LONG = f"回复内容请控制在 {MAX_TICKET_REPLY_CHARS} 字以内。"
