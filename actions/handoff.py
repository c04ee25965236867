"""Asking for a person: the bot names the skill and steps aside; the hub does the rest.

The action returns a custom payload the hub intercepts ({"handoff": {"skill": ...}}); the hub
queues the user or offers to leave a message, and stops calling Rasa until the user is back with
the bot (the conversation is not paused: docs/architecture.md). The skill comes from the FAQ entry
answered last, so a user who was reading about 提交货预约 reaches an airport-logistics agent;
without one, the user picks it from buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import entities
from actions.entities import BadEntity
from actions.faq.actions import LAST_ENTRY_SLOT
from actions.faq.published import default_published
from kernel import bot_events, payloads
from kernel.skills import SKILL_TITLES, Skill

SKILL_ENTITY = "handoff_skill"
ASK_SKILL_TEXT = "好的，马上为您转接人工客服。请选择您要咨询的业务类型："

# FAQ categories (knowledge/categories.yml) and the agents who know them.
CATEGORY_SKILLS: dict[str, Skill] = {
    "declare": Skill.DECLARATION,
    "print": Skill.DECLARATION,
    "refund": Skill.DECLARATION,
    "tax": Skill.DECLARATION,
    "airport": Skill.AIRPORT,
    "cbec": Skill.CROSS_BORDER,
    "register": Skill.ACCOUNT,
    "login": Skill.ACCOUNT,
    "environment": Skill.ACCOUNT,
}


def skill_buttons() -> list[dict[str, str]]:
    buttons = []
    for skill, title in SKILL_TITLES.items():
        payload = payloads.with_entities(payloads.HANDOFF, **{SKILL_ENTITY: skill.value})
        buttons.append({"title": title, "payload": payload})
    return buttons


async def chosen_skill(tracker: Tracker) -> Skill | None:
    """The skill of a clicked skill button, else that of the last answered FAQ entry.

    Raises BadEntity for a skill no button sends.
    """
    picked = entities.choice(entities.latest(tracker, SKILL_ENTITY), {s.value for s in Skill})
    if picked:
        return Skill(picked)
    kb = await default_published().current()
    entry = kb.entry(entities.slot_text(tracker, LAST_ENTRY_SLOT))
    if entry is None:
        return None
    return CATEGORY_SKILLS.get(entry.category, Skill.OTHER)


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            skill = await chosen_skill(tracker)
        except BadEntity:
            skill = None  # asked again, with the buttons that name the skills
        if skill is None:
            asked = {"text": ASK_SKILL_TEXT, "buttons": skill_buttons()}
            dispatcher.utter_message(**bot_events.mark(asked, bot_events.HANDOFF))
            return []
        dispatcher.utter_message(json_message={payloads.HANDOFF_KEY: {"skill": skill.value}})
        return []
