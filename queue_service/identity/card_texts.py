"""What a card login tells the user (polite Simplified Chinese): welcome, reminders, refusals."""

from __future__ import annotations

import datetime as dt

from kernel.texts import HOTLINE, UNLOCK_HOW
from queue_service.identity.cards import (
    CardRefused,
    CardRole,
    CardStatus,
    Refusal,
    RegisteredCard,
)

CHINA = dt.timezone(dt.timedelta(hours=8))

EXTEND_HOW = (
    "法人卡可在登录中国电子口岸身份认证系统后，通过“IC卡管理 → 法人卡自主延期”办理，"
    "或使用“电子口岸法人卡证书自主延期客户端”；操作员卡请按“操作员卡自助延期”指引办理。"
    "延期过程中请勿拔卡，延期后卡密码将恢复为初始密码 88888888。"
)
WELCOME = "卡介质验证成功！{who}，您好。您已使用{role}（卡号 {number}）完成身份验证，{can}"
CAN_LEGAL = "可以查询本企业的业务信息，并办理打印、出口等需要法人卡的申请。"
CAN_OPERATOR = "可以查询本企业的业务信息；打印、出口等申请需使用本企业的法人卡验证。"
INITIAL_PIN = (
    "温馨提示：您的卡密码仍为初始密码 88888888，为保障安全，请尽快修改"
    "（可在中国电子口岸身份认证系统中修改卡密码）。"
)
EXPIRES_SOON = (
    "温馨提示：您的卡证书将于 {date} 到期（还剩 {days} 天），请在到期前办理延期。" + EXTEND_HOW
)
REMOVED = (
    "检测到电子口岸卡已拔出，卡介质身份已失效。如需继续办理需要卡介质验证的业务，请重新插卡验证。"
)
DISABLED = {
    CardStatus.LOCKED: "您使用的电子口岸卡（卡号 {number}）已被锁定，卡介质身份已失效。"
    + UNLOCK_HOW,
    CardStatus.REVOKED: "您使用的电子口岸卡（卡号 {number}）已注销或已被替换，卡介质身份已失效。"
    "请使用本企业当前有效的法人卡或操作员卡重新验证。",
}

REFUSED = {
    Refusal.MALFORMED: "验证数据格式不正确，请刷新页面后重新进行卡介质验证。",
    Refusal.BAD_CHALLENGE: "本次验证已过期或已使用（验证码 60 秒内有效，只能使用一次），"
    "请重新点击“卡介质验证”。",
    Refusal.UNREGISTERED: "此卡（卡号 {number}）尚未在单一窗口登记，无法用于卡介质验证。"
    "请确认插入的是本企业已登记的法人卡或操作员卡，或联系本企业管理员办理登记。",
    Refusal.REVOKED: "此卡（卡号 {number}）已注销或已被替换，无法使用。"
    "请使用本企业当前有效的法人卡或操作员卡。",
    Refusal.LOCKED: "此卡（卡号 {number}）已被锁定，暂时无法使用。" + UNLOCK_HOW,
    Refusal.EXPIRED: "此卡（卡号 {number}）的证书已于 {date} 过期，无法完成验证。"
    "已过期的卡不能自助延期，请携卡到企业注册地的数据分中心办理更新，或邮寄办理。",
    Refusal.WRONG_KEY: "卡片签名验证未通过，无法确认卡片身份。请拔出卡片重新插入后再试；"
    f"如仍不成功，请拨打{HOTLINE}。",
    Refusal.BAD_SIGNATURE: "卡片签名验证未通过，无法确认卡片身份。请拔出卡片重新插入后再试；"
    f"如仍不成功，请拨打{HOTLINE}。",
}
TOO_MANY_CHALLENGES = "卡介质验证请求过于频繁，请 1 分钟后再试。"
UNAVAILABLE = f"非常抱歉，卡介质验证服务暂时不可用，请稍后再试，或拨打{HOTLINE}。"


def masked_number(number: str) -> str:
    """Card numbers are shown with the middle hidden: enough to recognise one's own card."""
    return number if len(number) <= 8 else f"{number[:4]}****{number[-4:]}"


def china_date(moment: dt.datetime) -> str:
    return f"{moment.astimezone(CHINA):%Y年%m月%d日}"


def refused(error: CardRefused, card_number: str = "") -> str:
    number = masked_number(error.card.card_number if error.card else card_number)
    date = china_date(error.card.expires_at) if error.card else ""
    return REFUSED[error.reason].format(number=number, date=date)


def welcome(card: RegisteredCard, who: str) -> str:
    can = CAN_LEGAL if card.role is CardRole.LEGAL else CAN_OPERATOR
    return WELCOME.format(
        who=who, role=card.role.label, number=masked_number(card.card_number), can=can
    )


def expires_soon(card: RegisteredCard, now: dt.datetime) -> str:
    days = max(1, (card.expires_at - now).days)
    return EXPIRES_SOON.format(date=china_date(card.expires_at), days=days)


def disabled(status: CardStatus, card_number: str) -> str:
    """Why a live card session ended: the card was locked, or revoked (or is gone)."""
    text = DISABLED.get(status, DISABLED[CardStatus.REVOKED])
    return text.format(number=masked_number(card_number))
