"""What the identity desk tells users (polite Simplified Chinese): binding a channel account,
the portal's tokens and bind codes, the demo portal. A card login's texts are card_texts.py."""

from kernel.texts import HOTLINE
from queue_service.identity.bind_codes import CODE_DIGITS, CODE_TTL_S, ISSUE_WINDOW_S

MINUTES = CODE_TTL_S // 60

# Bind and unbind commands on WeChat and Telegram (service.py).
BIND_HELP = (
    "绑定后即可在这里查询您本人的业务信息。请先登录门户网站（{url}），点击“获取绑定码”，"
    f"然后在这里发送“绑定 绑定码”，例如：绑定 12345678。绑定码 {MINUTES} 分钟内有效，只能使用一次。"
)
CODE_FORMAT = f"绑定码为 {CODE_DIGITS} 位数字，请核对后重新发送，例如：绑定 12345678。"
BOUND = (
    "绑定成功！{who}，您好。此账号已与您的单一窗口身份绑定，现在可以直接查询您本人的业务信息。"
    "如需解除，请发送“解除绑定”。"
)
BAD_CODE = (
    "绑定码无效、已使用或已过期。请在门户网站重新获取绑定码后再试"
    f"（绑定码 {MINUTES} 分钟内有效，只能使用一次）。"
)
TOO_MANY = "绑定码输入错误次数过多，为保护您的账号安全，请 10 分钟后再试。"
TOO_MANY_TODAY = (
    "此账号今天的绑定尝试次数已达上限，为保护您的账号安全，请 {hours} 小时后再试。"
    "如绑定码已过期，请在门户网站重新获取。"
)
BIND_PAUSED = (
    "非常抱歉，为保护用户账号安全，绑定服务暂停受理，请 {minutes} 分钟后再试。"
    "已绑定的账号不受影响；如绑定码已过期，请在门户网站重新获取。"
)
BIND_UNAVAILABLE = f"非常抱歉，绑定服务暂时不可用，请稍后再试，或拨打{HOTLINE}。"
UNBOUND = "已解除绑定。此账号不再关联{who}的身份信息；如需再次绑定，请在门户网站获取新的绑定码。"
NOT_BOUND = "此账号尚未绑定单一窗口身份，无需解除。"

# The same commands in the web chat, whose users log in through the portal instead.
WEBCHAT_BIND = (
    "网页在线咨询无需绑定：请登录门户网站（{url}）后在门户页面打开智能客服，"
    "登录后即可查询您本人的业务信息。"
)
WEBCHAT_LOGGED_IN = (
    "您已通过门户网站登录（{who}），网页在线咨询无需绑定，可以直接查询您本人的业务信息。"
)
WEBCHAT_UNBIND = (
    "网页在线咨询的登录状态与门户网站同步，无需解除绑定；如需退出，请在门户网站退出登录。"
)

# A portal token refused, whatever the reason, so the answer says nothing to someone probing
# (portal.py).
TOKEN_REFUSED = "登录信息无效或已过期，请在门户网站重新登录后再试。"
# The portal's routes (routes.py).
TOO_MANY_CODES = f"获取绑定码过于频繁，请 {ISSUE_WINDOW_S // 60} 分钟后再试。"
NO_SUCH_ACCOUNT = "请选择一个演示账号。"
