"""Applying for a self-service print (有签章 / 无签章) or a post-clearance export in the chat.

A Rasa form (`application_form`) asks for the declaration numbers (18 digits each, at most 50,
as the manual says) and, for a print, whether it is signed; 取消 leaves it at any point. The
form starts from a button (`/query_records{"query": "apply_print"}`), after the action has
checked that the user is a verified enterprise, and the application is made for the
enterprise's own declarations only: other numbers are listed as not found.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.buttons import HANDOFF_BUTTON
from actions.queries import period_form
from actions.queries.render import Message, Query, button
from actions.records import statuses
from actions.records.repository import MAX_ENTRY_NUMBERS, ApplicationKind, ApplicationResult

FORM = "application_form"
KIND_SLOT = "application_kind"
NUMBERS_SLOT = "declaration_numbers"
SIGNATURE_SLOT = "print_signature"
FORM_SLOTS = (KIND_SLOT, NUMBERS_SLOT, SIGNATURE_SLOT)

ASK_NUMBERS = (
    "请发送要申请的报关单号（18 位数字），多个请用逗号分隔，一次最多 50 个。\n"
    "只能申请贵企业作为收发货人的报关单。"
)
ASK_SIGNATURE = "请选择申请类型："
CANCEL_BUTTON = period_form.CANCEL_BUTTON
NO_NUMBERS = "没有识别到报关单号。请发送 18 位报关单号，多个请用逗号分隔（一次最多 50 个）。"
NOT_18_DIGITS = "以下报关单号不是 18 位数字，请核对后重新发送全部单号：{numbers}"
TOO_MANY = "一次最多申请 50 个报关单号，您发送了 {count} 个，请分批申请。"
PICK_SIGNATURE = "请选择申请类型：有签章 或 无签章。"
CANCELLED = "好的，已取消。还有其他问题可以继续问我。"
APPLIED = {
    ApplicationKind.PRINT: "已提交自助打印申请（{signature}），申请编号 {app_no}：",
    ApplicationKind.EXPORT: "已提交结关后报关单数据导出申请，申请编号 {app_no}：",
}
NONE_APPLIED = "您发送的报关单号都不属于贵企业（或不存在），未能提交申请。请核对报关单号。"
UNKNOWN_LINE = "以下报关单号不属于贵企业（或不存在），未申请：{numbers}"
NEXT_STEPS = {
    ApplicationKind.PRINT: "制作完成后，可在单一窗口“报关单证查询打印 → 自助打印/导出”中导出或"
    "打印；文件只保存一个自然月。",
    ApplicationKind.EXPORT: "已生成的数据可在“自助打印/导出”中导出；数据只保存一个自然月。",
}

_RUN_OF_DIGITS = re.compile(r"\d+")
# The numbers slot holds at most 50 numbers of 18 digits, comma-joined.
MAX_NUMBERS_CHARS = MAX_ENTRY_NUMBERS * 19


def declaration_numbers(text: str) -> list[str]:
    """Every run of digits in the text, full-width digits included, once each, in order.

    Raises ValueError with the message for the user when there is none, when one is not 18
    digits long, or when there are more than 50.
    """
    numbers = list(dict.fromkeys(_RUN_OF_DIGITS.findall(unicodedata.normalize("NFKC", text))))
    if not numbers:
        raise ValueError(NO_NUMBERS)
    wrong = [n for n in numbers if len(n) != 18]
    if wrong:
        raise ValueError(NOT_18_DIGITS.format(numbers="，".join(wrong[:10])))
    if len(numbers) > MAX_ENTRY_NUMBERS:
        raise ValueError(TOO_MANY.format(count=len(numbers)))
    return numbers


def signature_choice(text: str) -> str | None:
    """'signed' / 'unsigned' from 有签章 / 无签章 (or a bare 有 / 无), else None."""
    cleaned = text.strip()
    if "无" in cleaned or "没有" in cleaned or "不要" in cleaned:
        return "unsigned"
    if "有" in cleaned or cleaned in ("要", "要签章", "签章"):
        return "signed"
    return None


def start(kind: ApplicationKind) -> list[dict[str, Any]]:
    """Events that open the form for a print or an export."""
    return [
        SlotSet(KIND_SLOT, kind.value),
        SlotSet(NUMBERS_SLOT, None),
        SlotSet(SIGNATURE_SLOT, None),
        FollowupAction(FORM),
    ]


def result(outcome: ApplicationResult, kind: ApplicationKind, signed: bool | None) -> Message:
    if outcome.app_no is None:
        return {"text": NONE_APPLIED, "buttons": [HANDOFF_BUTTON]}
    table = statuses.PRINT if kind is ApplicationKind.PRINT else statuses.EXPORT
    signature = "有签章" if signed else "无签章"
    lines = [APPLIED[kind].format(signature=signature, app_no=outcome.app_no)]
    lines += [
        f"{i}. {line.entry_no}：{table[line.status].name}"
        for i, line in enumerate(outcome.lines, 1)
    ]
    if outcome.unknown:
        lines.append(UNKNOWN_LINE.format(numbers="，".join(outcome.unknown)))
    shown = {line.status for line in outcome.lines}
    lines += [f"· {table[c].name}：{table[c].advice}" for c in sorted(shown)]
    lines.append(NEXT_STEPS[kind])
    mine = Query.PRINTS if kind is ApplicationKind.PRINT else Query.EXPORTS
    title = "我的打印申请" if kind is ApplicationKind.PRINT else "我的导出申请"
    return {"text": "\n".join(lines), "buttons": [button(title, mine), HANDOFF_BUTTON]}


def reset() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def asked(tracker: Tracker, slot: str) -> bool:
    """Whether the message answers this slot's question.

    When the form opens, Rasa offers the opening message (the button's payload) to every
    from_text slot; that is nobody's answer, and no error should be shown for it.
    """
    return tracker.get_slot("requested_slot") == slot


class ValidateApplicationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_application_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(KIND_SLOT) == ApplicationKind.EXPORT.value:
            return [s for s in domain_slots if s != SIGNATURE_SLOT]
        return domain_slots

    def validate_declaration_numbers(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not asked(tracker, NUMBERS_SLOT):
            return {NUMBERS_SLOT: None}
        try:
            numbers = declaration_numbers(str(value or ""))
        except ValueError as exc:
            dispatcher.utter_message(text=str(exc))
            return {NUMBERS_SLOT: None}
        return {NUMBERS_SLOT: ",".join(numbers)}

    def validate_print_signature(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not asked(tracker, SIGNATURE_SLOT):
            return {SIGNATURE_SLOT: None}
        choice = signature_choice(str(value or ""))
        if choice is None:
            dispatcher.utter_message(text=PICK_SIGNATURE)
        return {SIGNATURE_SLOT: choice}


class ActionAskDeclarationNumbers(Action):
    def name(self) -> str:
        return "action_ask_declaration_numbers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=ASK_NUMBERS, buttons=[CANCEL_BUTTON])
        return []


class ActionAskPrintSignature(Action):
    def name(self) -> str:
        return "action_ask_print_signature"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # The payloads are the words themselves: the form takes the slot from the text.
        choices = [{"title": t, "payload": t} for t in ("有签章", "无签章")]
        dispatcher.utter_message(text=ASK_SIGNATURE, buttons=[*choices, CANCEL_BUTTON])
        return []


class ActionCancelForm(Action):
    """取消 in any form: leave it and forget what it collected."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=CANCELLED)
        forgotten = [SlotSet(slot, None) for slot in (*FORM_SLOTS, *period_form.FORM_SLOTS)]
        return [ActiveLoop(None), SlotSet("requested_slot", None), *forgotten]
