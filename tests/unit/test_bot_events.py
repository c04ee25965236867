"""The bot's events ride in a reply's custom payload and come back onto their line."""

from kernel import bot_events, record_tables
from queue_service.rasa_client import from_replies


def test_marks_add_up_in_one_custom_payload() -> None:
    message = {"text": "列表", "custom": {record_tables.KEY: {"rows": []}}}
    bot_events.mark(message, bot_events.QUERY, query="quota")
    bot_events.mark(message, bot_events.ANSWER, entry="cbec_quota_query")
    assert message["custom"][record_tables.KEY] == {"rows": []}
    assert bot_events.events(message["custom"]) == [
        {"kind": "query", "query": "quota"},
        {"kind": "answer", "entry": "cbec_quota_query"},
    ]
    assert bot_events.events(None) == bot_events.events({"bot_events": "x"}) == []


def test_rasa_sends_the_mark_alone_and_it_goes_back_onto_its_line() -> None:
    mark = {bot_events.KEY: [{"kind": "decline", "reason": "out_of_scope"}]}
    replies = [
        {
            "text": "抱歉，这个问题不在我的服务范围内。",
            "buttons": [{"title": "转人工", "payload": "/handoff"}],
        },
        {"custom": mark},
        {"custom": {"handoff": {"skill": "other"}}},
    ]
    declined, handover = from_replies(replies)
    assert declined.text.startswith("抱歉") and declined.custom == mark
    assert handover.custom == {"handoff": {"skill": "other"}}
    # A mark after a handoff request is not joined onto it: the hub replaces that line.
    [handover, alone] = from_replies(
        [{"custom": {"handoff": {"skill": "other"}}}, {"custom": mark}]
    )
    assert alone.custom == mark and handover.custom == {"handoff": {"skill": "other"}}
