"""按日期查询: a Rasa form (`period_form`) that asks for a date range and checks it.

Opened from a list's 按日期查询 button for that query (and its status filter); the answer may be
two dates, one date, or a quick pick (当天 / 本周 / 本月 / 三个月), and a range is at most 3
months, as the manuals say. `action_query_period` then runs the query for the range.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.queries.conditions import QUICK_PICKS, ConditionError, encoded, period_in
from kernel.clock import Clock, china_now

FORM = "period_form"
QUERY_SLOT = "period_query"  # which list: tax_bills, clearances, prints, exports, appointments
STATUS_SLOT = "period_status"  # the list's status filter, kept
PERIOD_SLOT = "query_period"  # "2026-11-01..2026-11-20"
FORM_SLOTS = (QUERY_SLOT, STATUS_SLOT, PERIOD_SLOT)

ASK_PERIOD = (
    "请输入查询的日期范围（最长 3 个月），例如“2026-11-01 至 2026-11-20”，或只输入一天；"
    "也可以直接选择："
)
NO_PERIOD = "没有识别到日期。请按“2026-11-01 至 2026-11-20”的格式输入，或点击下方的快捷选项。"
CANCEL_BUTTON = {"title": "取消", "payload": "/cancel"}


def start(query: str, status: str) -> list[dict[str, Any]]:
    return [
        SlotSet(QUERY_SLOT, query),
        SlotSet(STATUS_SLOT, status or None),
        SlotSet(PERIOD_SLOT, None),
        FollowupAction(FORM),
    ]


def reset() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionAskQueryPeriod(Action):
    def name(self) -> str:
        return "action_ask_query_period"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # The quick picks send their own words, which the form reads like typed ones.
        picks = [{"title": title, "payload": title} for title in QUICK_PICKS.values()]
        dispatcher.utter_message(text=ASK_PERIOD, buttons=[*picks, CANCEL_BUTTON])
        return []


class ValidatePeriodForm(FormValidationAction):
    def __init__(self, clock: Clock = china_now) -> None:
        self._clock = clock

    def name(self) -> str:
        return "validate_period_form"

    def validate_query_period(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != PERIOD_SLOT:
            return {PERIOD_SLOT: None}  # the opening payload is nobody's answer
        try:
            period = period_in(str(value or ""), self._clock().date())
        except ConditionError as exc:
            dispatcher.utter_message(text=str(exc))
            return {PERIOD_SLOT: None}
        if period is None:
            dispatcher.utter_message(text=NO_PERIOD)
            return {PERIOD_SLOT: None}
        return {PERIOD_SLOT: encoded(period)}
