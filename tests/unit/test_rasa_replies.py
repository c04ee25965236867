"""Rasa's REST reply items become the common outbound model."""

from kernel.messages import Button, Role
from queue_service.rasa_client import to_outbound


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
