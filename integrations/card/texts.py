"""What the card bridge tells the user (polite Simplified Chinese): each card problem, and its
answers to requests it refuses."""

from __future__ import annotations

from integrations.card.errors import CardError, Reason
from kernel.texts import UNLOCK_HOW

FORBIDDEN = "仅允许单一窗口在线客服页面使用读卡服务。"
BAD_REQUEST = "请求格式不正确：需要一次性验证码（challenge）和卡密码（pin）。"
BAD_CHANGE_REQUEST = "请求格式不正确：需要原卡密码（old_pin）和新卡密码（new_pin）。"
PICK_READER = "检测到多张电子口岸卡，请只保留一张卡后重试。"

TEXT = {
    Reason.NO_READER: "未检测到读卡器，请确认读卡器已连接到电脑后重试。",
    Reason.NO_CARD: "未检测到电子口岸卡，请将法人卡或操作员卡插入读卡器后重试。",
    Reason.NOT_EPORT_CARD: "读卡器中的卡片不是电子口岸卡，请插入您的法人卡或操作员卡。",
    Reason.BAD_PIN_FORMAT: "卡密码应为 6 至 12 位数字，请核对后重新输入（本次未计入错误次数）。",
    Reason.WEAK_PIN: "新密码不能是初始密码 88888888，也不能与原密码相同，请重新设置。",
    Reason.CARD_ERROR: "读取电子口岸卡时出错，请拔出卡片重新插入后再试。",
    Reason.PCSC_UNAVAILABLE: "无法访问读卡器服务，请确认智能卡服务已启动后重试。",
}


def user_text(error: CardError) -> str:
    if error.reason is Reason.WRONG_PIN:
        return (
            f"卡密码错误，您还可以尝试 {error.tries_left} 次。"
            "连续输错 5 次卡片将被锁定，请仔细核对后再输入。"
        )
    if error.reason is Reason.LOCKED:
        return f"您的电子口岸卡已因密码连续输错 5 次被锁定，暂时无法使用。{UNLOCK_HOW}"
    return TEXT[error.reason]
