"""Typed equals clicked (issue 17): the last message's button titles, typed, are their payloads."""

from rasa_sdk import Tracker

from actions.faq import typed


def _tracker(text: str, buttons: list[dict]) -> Tracker:
    events = [{"event": "bot", "text": "…", "data": {"buttons": buttons}},
              {"event": "user", "text": text}]
    return Tracker("webchat:t", {}, {"text": text}, events, False, None, {}, "")


BUTTONS = [
    {"title": "法人卡被锁了怎么解锁？", "payload": '/faq{"faq_entry":"card_locked_legal"}'},
    {"title": "查询2025年额度", "payload": '/query_records{"query":"quota","year":"2025"}'},
    {"title": "按日期查询", "payload": '/query_records{"query":"tax_bills","ask":"period"}'},
    {"title": "没解决？转人工", "payload": "/handoff"},
]


def test_a_typed_title_is_its_buttons_payload() -> None:
    assert typed.clicked(_tracker("法人卡被锁了怎么解锁", BUTTONS)) == (
        "faq", {"faq_entry": "card_locked_legal"}
    )
    assert typed.clicked(_tracker("查询 2025 年额度", BUTTONS)) == (
        "query_records", {"query": "quota", "year": "2025"}
    )
    assert typed.clicked(_tracker("没解决？转人工", BUTTONS)) == ("handoff", {})


def test_other_text_and_forms_are_not_clicks() -> None:
    assert typed.clicked(_tracker("查询2024年额度", BUTTONS)) is None
    assert typed.clicked(_tracker("查询2025年额度", [])) is None
    assert not typed.runs_here({"query": "tax_bills", "ask": "period"})
    assert not typed.runs_here({"query": "apply_print"})
    assert typed.runs_here({"query": "quota", "year": "2025"})
