"""What the agent console tells agents and supervisors (Simplified Chinese): refusals of the
console API, its login, its socket and its forms, in one place."""

import math

# Logging in (auth.py) and staying logged in (socket.py).
NOT_LOGGED_IN = "登录已过期，请重新登录。"
BAD_LOGIN = "用户名或密码错误。"
BUSY = "登录请求较多，请稍后再试。"
SUPERVISORS_ONLY = "仅班长（主管）可以进行此操作。"
SESSION_ENDED = "登录已失效，请重新登录。"
# A maintainer account (知识库管理员) uses the knowledge studio only (/console/knowledge).
KNOWLEDGE_ONLY = "此账号为知识库管理员账号，只能使用知识库维护页面。"
MAINTAINERS_ONLY = "仅知识库管理员可以进行此操作。"


def too_many(retry_after_s: int) -> str:
    return f"登录失败次数过多，请 {max(1, math.ceil(retry_after_s / 60))} 分钟后再试。"


# Requests from elsewhere, and malformed ones (origin.py, pages.py).
FOREIGN_ORIGIN = "请求来源不受信任，请从本系统的客服工作台页面操作。"
INVALID_INPUT = "提交的内容不正确，请检查后重试。"

# Chats, the waiting list, transfers and tickets (api.py); statuses by AgentStatus value.
NOT_YOUR_CHAT = "该会话已结束或不在您的会话列表中。"
# Outside service hours (api.py /me): shown as a banner over the workspace.
OFF_HOURS = "现在是人工客服的非工作时间，用户转人工时将被引导留言{next_opening}。您仍可处理留言。"
NEXT_OPENING = "（下次服务时间：{when}）"

# Why a claim (接入) was refused, as found right after it (api.py).
TAKEN = "该用户已被其他客服接入。"
LEFT_QUEUE = "该用户已不在排队中（可能已取消排队、留言或返回智能客服）。"
FULL = "您的接待量已满（{load}/{capacity}），请先结束一个会话再接入。"
NOT_ONLINE = "您当前为“{status}”状态，请先将状态设为“在线”再接入。"
NOT_YOUR_SKILL = "该用户所在的技能组（{skill}）不在您的技能范围内。"
NOT_ALLOWED = "您无权查看该会话。"
TICKET_GONE = "该留言不存在或已关闭。"
TICKET_NOT_FOUND = "该留言不存在。"
TICKET_NOT_YOURS = "该留言已由其他客服受理，请联系班长（主管）改派。"
NO_SUCH_AGENT = "该客服账号不存在或已停用。"
TARGET_UNAVAILABLE = "对方客服不在线或接待量已满，请选择其他客服或转到技能组。"
TRANSFER_TARGET = "请选择要转接的技能组或客服（二选一）。"
STATUS_TITLES = {
    "online": "在线",
    "busy": "忙碌",
    "away": "离开",
    "offline": "离线",
}

# Canned responses (canned.py checks them, canned_api.py serves them).
CANNED_MAX_SHORTCUT_CHARS = 32  # after the leading slash
CANNED_MAX_TITLE_CHARS = 40
CANNED_MAX_TEXT_CHARS = 2000
CANNED_SHORTCUT_INVALID = (
    f"快捷指令须以“/”开头，后接 1-{CANNED_MAX_SHORTCUT_CHARS} 位小写字母、数字、"
    "“-”或“_”，如 /hello。"
)
CANNED_TITLE_EMPTY = "请填写标题。"
CANNED_TITLE_TOO_LONG = f"标题请控制在 {CANNED_MAX_TITLE_CHARS} 字以内。"
CANNED_TEXT_EMPTY = "请填写常用语内容。"
CANNED_TEXT_TOO_LONG = f"常用语内容请控制在 {CANNED_MAX_TEXT_CHARS} 字以内。"
CANNED_DUPLICATE = "该快捷指令已被其他常用语使用，请换一个。"
CANNED_NOT_FOUND = "该常用语不存在或已被删除。"
ALL_SKILLS = "全部技能组"

# Transcript search (search.py, search_api.py).
DATES_REVERSED = "开始日期不能晚于结束日期。"
BAD_DATE = "日期格式不正确，请按“年-月-日”填写，如 2026-11-24。"
NOT_SERVED = "您只能查看自己接待过的会话。"

# Notes, whispers, listening in and taking over (contact_api.py, socket.py, api.py).
NOTE_EMPTY = "备注内容不能为空。"
NOBODY_TO_WHISPER_TO = "该用户当前没有由其他客服接待，无法发送悄悄话；可添加为备注。"
NOT_SERVED_NOW = "该用户当前不在人工会话中，无法接管。"
ALREADY_YOURS = "该会话已由您接待。"
LISTEN_LIMIT = "最多同时监听 {limit} 个会话，请先停止监听其他会话。"
# Redis or the database did not answer (down, hanging): the console's request did nothing.
SERVICE_UNAVAILABLE = "服务暂时不可用（数据存储未响应），请稍后重试。"
# Anything else that failed under a console request (the error is in the service's log).
SERVER_ERROR = "服务出现错误，请稍后重试；如果问题持续，请联系系统管理员。"
