"""The FAQ's Rasa actions: answer a question, browse categories, show hot questions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import entities
from actions.entities import BadEntity
from actions.faq import knowledge, lookup, replies, typed
from actions.faq.hot import HotQuestions
from actions.faq.knowledge import KnowledgeBase
from actions.faq.published import default_published
from actions.faq.understanding import Answer, Decline, Lookup, NotSure, QuotaYear, understand
from actions.queries.actions import APPLY_HERE, ENTRY_APPLICATIONS, ENTRY_QUERIES, QueryRunner
from actions.queries.conditions import names_quota_year
from actions.queries.render import Query, button
from kernel import bot_events, complaints
from kernel.clock import Clock, china_now
from kernel.settings import shared_settings

LAST_ENTRY_SLOT = "faq_last_entry"
FAILURES_SLOT = "faq_failures"
CATEGORY_ENTITY = "faq_category"
PAGE_ENTITY = "faq_page"
# Set by the "how do I do it myself" button: the entry's answer, not the user's records.
PLAIN_ENTITY = "faq_plain"
# After this many misses in a row the bot offers a human instead of trying again.
FAILURES_BEFORE_HUMAN = 2


@cache
def default_hot_questions() -> HotQuestions:
    # Short timeouts: a dead Redis must cost a hot-question ranking, never the answer.
    return HotQuestions(shared_settings().redis_client(timeout_s=0.5))


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return value if isinstance(value, str) else None


class _FaqAction(Action, ABC):
    """Knowledge base, hot-question counter and clock are injectable for tests; by default the
    project's knowledge base and the Redis of SWA_REDIS_URL are used."""

    def __init__(
        self,
        kb: KnowledgeBase | None = None,
        hot: HotQuestions | None = None,
        clock: Clock = china_now,
        queries: QueryRunner | None = None,
    ) -> None:
        self._kb = kb
        self._hot = hot
        self._clock = clock
        self._queries = queries or QueryRunner(clock=clock)

    @abstractmethod
    def name(self) -> str: ...

    async def knowledge_base(self) -> KnowledgeBase:
        """The published knowledge base (actions/faq/published.py), read at each turn."""
        return self._kb or await default_published().current()

    @property
    def hot(self) -> HotQuestions:
        return self._hot or default_hot_questions()


class ActionAnswerFaq(_FaqAction):
    """Answers a question from the knowledge base, or says honestly that it cannot.

    Runs for the retrieval intent, for NLU fallback and for out-of-scope questions, so that a
    follow-up like "那操作员卡呢" is understood whatever NLU made of it on its own.
    """

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = await self.knowledge_base()
        button = typed.clicked(tracker)
        if button is not None and button[0] == "query_records" and typed.runs_here(button[1]):
            return await self._typed_query(button[1], dispatcher, tracker)
        previous = kb.entry(entities.slot_text(tracker, LAST_ENTRY_SLOT))
        parse = tracker.latest_message
        given = button[1] if button and button[0] == "faq" else {}
        verdict = given.get(replies.FEEDBACK_ENTITY) or _entity(tracker, replies.FEEDBACK_ENTITY)
        feedback_on = kb.entry(given.get("faq_entry") or _entity(tracker, "faq_entry") or "")
        if verdict in replies.FEEDBACK_TITLES and feedback_on is not None:
            useful = verdict == replies.USEFUL
            reply = replies.feedback_reply(useful)
            bot_events.mark(reply, bot_events.FEEDBACK, entry=feedback_on.id, useful=useful)
            dispatcher.utter_message(**reply)
            return []
        entry_id = given.get("faq_entry", "")
        if kb.entry(entry_id):
            parse = {**parse, "entities": [{"entity": "faq_entry", "value": entry_id}]}
        decision = understand(parse, kb, previous, today=self._clock().date())

        if isinstance(decision, Lookup):
            for message in await lookup.reply(decision.number, self._queries, tracker):
                dispatcher.utter_message(**message)
            return [SlotSet(FAILURES_SLOT, 0.0)]
        if isinstance(decision, QuotaYear):
            reply = replies.quota_year(decision.year, decision.this_year)
            bot_events.mark(reply, bot_events.DECLINE, reason="not_understood")
            dispatcher.utter_message(**reply)
            return [SlotSet(FAILURES_SLOT, 0.0)]
        said = str(tracker.latest_message.get("text") or "")
        complaint = complaints.is_complaint(said)
        if isinstance(decision, Answer):
            messages = await self._answer(decision.entry, kb, tracker, decision.also)
            if complaint:  # acknowledged, and the problem inside it still answered
                messages[0]["text"] = f"{replies.COMPLAINT_TEXT}\n{messages[0]['text']}"
            bot_events.mark(messages[-1], bot_events.ANSWER, entry=decision.entry.id)
            for message in messages:
                dispatcher.utter_message(**message)
            await self.hot.record(decision.entry.id, self._clock().date())
            return [SlotSet(LAST_ENTRY_SLOT, decision.entry.id), SlotSet(FAILURES_SLOT, 0.0)]

        failures = entities.slot_count(tracker, FAILURES_SLOT) + 1
        # Each reply carries what it was (kernel/bot_events.py), for the outcome statistics.
        declined = bot_events.DECLINE
        if complaint:
            escalated = complaints.is_escalation(said)
            dispatcher.utter_message(
                **(replies.escalation() if escalated else replies.complaint_only())
            )
            failures = 0
        elif isinstance(decision, NotSure) and not decision.closest:
            reply = bot_events.mark(replies.rephrase(kb), declined, reason="not_understood")
            dispatcher.utter_message(**reply)
        elif failures >= FAILURES_BEFORE_HUMAN:
            reply = bot_events.mark(replies.offer_human(), declined, reason="gave_up")
            dispatcher.utter_message(**reply)
            failures = 0
        elif isinstance(decision, Decline):
            reply = bot_events.mark(replies.decline(), declined, reason="out_of_scope")
            dispatcher.utter_message(**reply)
        else:
            reply = replies.not_sure(decision.closest)
            if decision.closest:
                ids = [entry.id for entry in decision.closest]
                bot_events.mark(reply, bot_events.SUGGEST, entries=ids)
            else:
                bot_events.mark(reply, declined, reason="not_understood")
            dispatcher.utter_message(**reply)
        return [SlotSet(FAILURES_SLOT, float(failures))]

    async def _typed_query(
        self, given: dict[str, str], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """A self-service button's title typed: that query with the button's conditions."""
        known = {q.value for q in Query}
        query = Query(given["query"]) if given.get("query") in known else None
        conditions = {k: v for k, v in given.items() if k not in ("query", "ask")}
        for message in await self._queries.answer(query, tracker, conditions or None):
            dispatcher.utter_message(**message)
        return [SlotSet(FAILURES_SLOT, 0.0)]

    async def _answer(
        self,
        entry: knowledge.Entry,
        kb: KnowledgeBase,
        tracker: Tracker,
        also: tuple[knowledge.Entry, ...] = (),
    ) -> list[dict[str, Any]]:
        """The entry's answer; for an entry about a query, a verified user's own records.

        Anonymous users (and users of the other kind) get the answer with a button that tells
        them how to have their records looked up.
        """
        applying = ENTRY_APPLICATIONS.get(entry.id)
        if applying and self._queries.serves(applying, tracker):
            return [replies.answer(entry, kb, first=[button(APPLY_HERE, applying)])]
        query = ENTRY_QUERIES.get(entry.id)
        text = str(tracker.latest_message.get("text") or "")
        if query is None and entry.category == "cbec" and names_quota_year(text):
            # "2030年的额度" matched 额度什么时候清零: a verified consumer gets that year's quota
            # (or "not later than this year"), as the 查询…年额度 button gives.
            query = Query.QUOTA
        if query is None or _entity(tracker, PLAIN_ENTITY):
            return [replies.answer(entry, kb, also=also)]
        if not self._queries.serves(query, tracker):
            return [replies.answer(entry, kb, then=[button("查询我的数据", query)])]
        messages = await self._queries.answer(query, tracker)
        howto = {"title": "查看操作方法", "payload": replies.plain_payload(entry)}
        messages[-1]["buttons"].insert(-1, howto)
        return messages


class ActionFaqMenu(_FaqAction):
    """常见问题 / 菜单: the categories, or one category's hot questions by recent asks."""

    def name(self) -> str:
        return "action_faq_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = await self.knowledge_base()
        category = kb.category(_entity(tracker, CATEGORY_ENTITY) or "")
        if category is None:
            dispatcher.utter_message(**replies.menu(kb))
            return []
        try:
            page = entities.page(entities.latest(tracker, PAGE_ENTITY))
        except BadEntity as exc:
            dispatcher.utter_message(**replies.menu(kb, str(exc)))
            return []
        ranked = await self.hot.rank(kb.in_category(category.id), self._clock().date())
        dispatcher.utter_message(**replies.category_page(category, ranked, page))
        return []
