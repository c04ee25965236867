"""What the FAQ says and which buttons it offers, for every channel.

Buttons carry Rasa payloads (``/intent{"entity": "value"}``) so a click is understood exactly,
without NLU; channels show the title and send the payload back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from actions.buttons import HANDOFF_BUTTON, MENU_BUTTON, Button
from actions.faq.knowledge import Category, Entry, KnowledgeBase
from kernel import payloads

PAGE_SIZE = 8

Message = dict[str, Any]

NOT_SURE_TEXT = "抱歉，我不太确定您问的是哪个问题。猜你想问（也可以转人工）："
NOT_UNDERSTOOD_TEXT = (
    "抱歉，我没能理解您的问题。您可以换个说法再问一次，或点击“常见问题”按类别查找。"
)
DECLINE_TEXT = (
    "抱歉，这个问题不在我的服务范围内。\n"
    "我是单一窗口智能客服，可以为您解答用户注册、登录与卡介质、跨境电商个人额度和税款查询、"
    "报关单证查询打印、空港物流、税费支付、出口退税等方面的问题。"
)
REPHRASE_TEXT = "抱歉，我没看懂，请换个说法，或选择下面的问题类别："
COMPLAINT_TEXT = "非常抱歉给您带来不好的体验，我们会认真改进。"
COMPLAINT_ONLY_TEXT = (
    COMPLAINT_TEXT + "请告诉我您遇到的具体问题（例如登录、卡介质、额度查询），我会尽力帮您解决；"
    "也可以转人工客服，或拨打客服热线。"
)
ESCALATION_TEXT = (
    COMPLAINT_TEXT + "您的意见我们会如实反馈给相关负责人。如需进一步处理，请点击“转人工”，"
    "由人工客服为您跟进；也可以告诉我您遇到的具体问题，我先帮您看看。"
)
OFFER_HUMAN_TEXT = "看来我没能帮您解决问题，非常抱歉。需要为您转接人工客服吗？"
USEFUL_THANKS_TEXT = "感谢您的反馈，很高兴能帮到您！还有其他问题可以继续问我。"
NOT_USEFUL_TEXT = (
    "抱歉这个回答没能帮到您，感谢您的反馈，我们会改进。您可以换个说法再问一次，或转人工客服。"
)
# 有用 / 没用 under every FAQ answer (issue 18): which entry, and which verdict.
FEEDBACK_ENTITY = "faq_feedback"
USEFUL, NOT_USEFUL = "useful", "not_useful"
FEEDBACK_TITLES = {USEFUL: "有用", NOT_USEFUL: "没用"}
MENU_TEXT = "请选择您要咨询的问题类别："
# Under an answer the selector was not sure of: the next closest questions (issue 17).
ALSO_TEXT = "如果这不是您要问的，猜你想问："
QUOTA_YEAR_FUTURE_TEXT = (
    "个人年度额度按自然年计算，{year} 年还没有到，暂无该年度的额度数据；"
    "目前可以查询今年（{this_year} 年）及以前年度的额度。"
)
QUOTA_YEAR_BEFORE_TEXT = (
    "跨境电商零售进口个人年度交易限值自 2016 年起实施，{year} 年没有个人年度额度记录；"
    "可以查询 2016 年至今年（{this_year} 年）的额度。"
)


def _payload(intent: str, **entities: str) -> str:
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def entry_button(entry: Entry) -> Button:
    return {"title": entry.title, "payload": _payload("faq", faq_entry=entry.id)}


def plain_payload(entry: Entry) -> str:
    """The entry's own answer even for a user whose records it could show."""
    return _payload("faq", faq_entry=entry.id, faq_plain="1")


def category_button(category: Category) -> Button:
    return {"title": category.title, "payload": _payload("faq_menu", faq_category=category.id)}


def category_buttons(kb: KnowledgeBase) -> list[Button]:
    return [category_button(c) for c in kb.categories]


def answer_text(entry: Entry) -> str:
    """The answer under its question's title, so a user sees at once which question it answers."""
    return f"【{entry.title}】\n{entry.answer}"


def feedback_buttons(entry: Entry) -> list[Button]:
    """有用 / 没用: the `faq` intent with the verdict, so no NLU class is needed for a click."""
    return [
        {"title": title, "payload": _payload("faq", faq_entry=entry.id, faq_feedback=verdict)}
        for verdict, title in FEEDBACK_TITLES.items()
    ]


def answer(
    entry: Entry,
    kb: KnowledgeBase,
    first: Sequence[Button] = (),
    then: Sequence[Button] = (),
    also: Sequence[Entry] = (),
) -> Message:
    """The answer, then `first`, the closest other questions of an unsure answer (`also`), up to
    three related questions, `then`, 有用 / 没用 and the way to a human (last, where every
    channel's user looks for it)."""
    related = [e for e in (kb.entry(r) for r in entry.related) if e is not None]
    related = [e for e in related if e not in also]
    buttons = [*first, *map(entry_button, also), *map(entry_button, related), *then]
    text = f"{answer_text(entry)}\n\n{ALSO_TEXT}" if also else answer_text(entry)
    return {"text": text, "buttons": [*buttons, *feedback_buttons(entry), HANDOFF_BUTTON]}


def quota_year(year: int, this_year: int) -> Message:
    """A year's quota that has no records: later than this year, or before the limit existed."""
    template = QUOTA_YEAR_FUTURE_TEXT if year > this_year else QUOTA_YEAR_BEFORE_TEXT
    text = template.format(year=year, this_year=this_year)
    return {"text": text, "buttons": [MENU_BUTTON, HANDOFF_BUTTON]}


def feedback_reply(useful: bool) -> Message:
    """The answer to 有用 / 没用: thanks, or an apology with the ways on."""
    if useful:
        return {"text": USEFUL_THANKS_TEXT}
    return {"text": NOT_USEFUL_TEXT, "buttons": [MENU_BUTTON, HANDOFF_BUTTON]}


def rephrase(kb: KnowledgeBase) -> Message:
    """For gibberish and emoji: one short line and the categories, no random suggestions."""
    return {"text": REPHRASE_TEXT, "buttons": [*category_buttons(kb), HANDOFF_BUTTON]}


def complaint_only() -> Message:
    return {"text": COMPLAINT_ONLY_TEXT, "buttons": [MENU_BUTTON, HANDOFF_BUTTON]}


def escalation() -> Message:
    """A demand for someone in charge (我要找领导): acknowledged, a person offered first."""
    return {"text": ESCALATION_TEXT, "buttons": [HANDOFF_BUTTON, MENU_BUTTON]}


def not_sure(closest: Sequence[Entry]) -> Message:
    if not closest:
        return {"text": NOT_UNDERSTOOD_TEXT, "buttons": [MENU_BUTTON, HANDOFF_BUTTON]}
    return {"text": NOT_SURE_TEXT, "buttons": [*map(entry_button, closest), HANDOFF_BUTTON]}


def decline() -> Message:
    return {"text": DECLINE_TEXT, "buttons": [MENU_BUTTON, HANDOFF_BUTTON]}


def offer_human() -> Message:
    return {"text": OFFER_HUMAN_TEXT, "buttons": [HANDOFF_BUTTON, MENU_BUTTON]}


def menu(kb: KnowledgeBase, first: str = "") -> Message:
    """The categories; `first` says why they are offered again (a choice not understood)."""
    text = f"{first}\n{MENU_TEXT}" if first else MENU_TEXT
    return {"text": text, "buttons": category_buttons(kb)}


def category_page(category: Category, ranked: Sequence[Entry], page: int) -> Message:
    """One page of a category's hot questions, with paging and a way back to the categories."""
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    text = f"“{category.title}”热点问题（按近 7 天咨询量排序），请点击您关心的问题："
    if pages > 1:
        text += f"\n（第 {page}/{pages} 页）"
    buttons = [entry_button(e) for e in shown]
    if page < pages:
        more = _payload("faq_menu", faq_category=category.id, faq_page=str(page + 1))
        buttons.append({"title": "更多问题", "payload": more})
    buttons.append({"title": "返回问题类别", "payload": payloads.FAQ_MENU})
    return {"text": text, "buttons": buttons}
