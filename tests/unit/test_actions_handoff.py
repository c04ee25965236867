"""action_handoff: the skill from a clicked button or the last FAQ topic, else buttons to pick."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import knowledge
from actions.handoff import ASK_SKILL_TEXT, CATEGORY_SKILLS, ActionHandoff
from kernel.skills import Skill


def tracker(entities: list[dict] | None = None, last_entry: str | None = None) -> Tracker:
    return Tracker(
        sender_id="webchat:test",
        slots={"faq_last_entry": last_entry},
        latest_message={"intent": {"name": "handoff"}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(tracker: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    assert await ActionHandoff().run(dispatcher, tracker, {}) == []
    return dispatcher.messages


async def test_without_a_topic_the_user_picks_the_skill() -> None:
    [message] = await run(tracker())
    assert message["text"] == ASK_SKILL_TEXT
    assert [b["title"] for b in message["buttons"]] == [
        "通关/货物申报",
        "空港物流",
        "跨境电商",
        "账号与卡介质",
        "其他",
    ]
    assert message["buttons"][1]["payload"] == '/handoff{"handoff_skill":"airport"}'


async def test_a_clicked_skill_wins_over_the_topic() -> None:
    picked = [{"entity": "handoff_skill", "value": "cross_border"}]
    [message] = await run(tracker(picked, last_entry="card_locked_legal"))
    assert message["custom"] == {"handoff": {"skill": "cross_border"}}


async def test_the_last_answered_entry_names_the_skill() -> None:
    [message] = await run(tracker(last_entry="card_locked_legal"))
    assert message["custom"] == {"handoff": {"skill": "account"}}
    [message] = await run(tracker(last_entry="bj_intro"))  # 北京单一窗口: no special skill
    assert message["custom"] == {"handoff": {"skill": "other"}}


@pytest.mark.parametrize("skill", ["robots", ["airport"], {"skill": "airport"}, 3, "x" * 10_000])
async def test_a_malformed_skill_is_asked_for_again(skill) -> None:
    """A crafted `/handoff{"handoff_skill": [...]}` gets the skill buttons, not a crash."""
    picked = [{"entity": "handoff_skill", "value": skill}]
    [message] = await run(tracker(picked, last_entry="card_locked_legal"))
    assert message["text"] == ASK_SKILL_TEXT
    assert len(message["buttons"]) == len(Skill)


async def test_a_last_entry_slot_holding_something_else_is_no_topic() -> None:
    [message] = await run(tracker(last_entry=["card_locked_legal"]))
    assert message["text"] == ASK_SKILL_TEXT


def test_every_mapped_category_exists() -> None:
    categories = {c.id for c in knowledge.default().categories}
    assert set(CATEGORY_SKILLS) <= categories
    assert set(CATEGORY_SKILLS.values()) == set(Skill) - {Skill.OTHER}
