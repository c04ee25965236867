"""Rasa's REST reply items become the common outbound model."""

from kernel.messages import Button, Role
from queue_service.rasa_client import from_replies, to_outbound


def test_text_with_buttons() -> None:
    message = to_outbound(
        {
            "recipient_id": "webchat:1",
            "text": "请选择：",
            "buttons": [{"title": "常见问题", "payload": "/menu"}, {"title": "只有标题"}],
        }
    )
    assert message.role is Role.BOT
    assert message.text == "请选择："
    assert message.buttons == [
        Button(title="常见问题", payload="/menu"),
        Button(title="只有标题", payload="只有标题"),
    ]


def test_image_and_custom() -> None:
    assert to_outbound({"image": "https://x/y.png"}).image == "https://x/y.png"
    handoff = {"handoff": {"skill": "其他"}}
    assert to_outbound({"custom": handoff}).custom == handoff
    assert to_outbound({"custom": ["a"]}).custom == {"value": ["a"]}
    assert to_outbound({"text": "只有文字"}).buttons == []


def test_a_record_table_goes_back_onto_its_list() -> None:
    # Rasa's REST channel sends a message's custom payload as a reply of its own.
    table = {"records": {"columns": ["清单编号"], "rows": []}}
    handoff = {"handoff": {"skill": "other"}}
    replies = [
        {"recipient_id": "webchat:1", "text": "您的通关记录，共 1 条：", "buttons": []},
        {"recipient_id": "webchat:1", "custom": table},
        {"recipient_id": "webchat:1", "text": "请稍候"},
        {"recipient_id": "webchat:1", "custom": handoff},
        "not a reply",
    ]
    listed, said, handover = from_replies(replies)
    assert listed.text == "您的通关记录，共 1 条：" and listed.custom == table
    assert said.text == "请稍候" and said.custom is None
    assert handover.text is None and handover.custom == handoff
    # A table with nothing before it to go onto stays a line (the web chat still draws it).
    [alone] = from_replies([{"custom": table}])
    assert alone.custom == table
