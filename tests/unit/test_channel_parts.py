"""What the channels share: one rule for what a user typed, one way to show a line as text, one
spelling of conversation ids."""

import unicodedata

import pytest

from integrations import texts
from integrations.render import cut, shown
from integrations.user_input import EMPTY, Refusal, too_long, user_text
from kernel.conversation_ids import address_of, channel_of, conversation_id
from kernel.messages import Button, OutboundMessage, Role

DECOMPOSED = unicodedata.normalize("NFD", "Café 申报")


def test_typed_text_is_composed_and_stripped() -> None:
    assert DECOMPOSED != "Café 申报"
    assert user_text(f"  {DECOMPOSED}\n", 20) == "Café 申报"


@pytest.mark.parametrize("typed", ["", "   ", "\n\t　"])  # the last one ends with U+3000
def test_nothing_typed_is_refused_with_the_same_text_everywhere(typed: str) -> None:
    assert user_text(typed, 20) == EMPTY == Refusal("empty", texts.EMPTY)


def test_too_long_is_counted_after_stripping_and_names_the_limit() -> None:
    assert user_text(" " + "长" * 5 + " ", 5) == "长" * 5
    refused = user_text("长" * 6, 5)
    assert refused == too_long(5)
    assert isinstance(refused, Refusal) and refused.code == "too_long"
    assert refused.text == "消息过长，请控制在 5 字以内。"


def test_a_button_is_its_title_or_else_its_payload_and_a_long_payload_is_refused() -> None:
    assert user_text("常见问题", 20, payload="/faq_menu") == "常见问题"
    assert user_text("  ", 20, payload="/faq_menu") == "/faq_menu"
    assert user_text("", 20, payload="") == EMPTY
    assert user_text("按钮", 5, payload="/faq_menu") == too_long(5)


def test_a_line_as_text_has_the_agents_name_first_and_its_image_after() -> None:
    line = OutboundMessage(
        role=Role.AGENT,
        text="您好",
        sender_name="客服小王",
        image="https://example.cn/a.png",
        buttons=[Button(title="好的", payload="/ok")],
    )
    assert shown(line) == ["客服小王：您好", "https://example.cn/a.png"]
    assert shown(OutboundMessage(text="请选择", buttons=line.buttons)) == ["请选择"]
    assert shown(OutboundMessage(custom={"handoff": {}})) == []


def test_a_long_text_is_cut_to_the_limit_with_the_note() -> None:
    assert cut("短", 10) == "短"
    long = cut("长" * 100, 50)
    assert len(long) == 50 and long.endswith(texts.CUT_NOTE)
    assert long.startswith("长" * (50 - len(texts.CUT_NOTE)))


def test_conversation_ids_are_written_and_read_alike() -> None:
    assert conversation_id("telegram", 501) == "telegram:501"
    assert channel_of("wechat:o-user:1") == "wechat"
    assert address_of("wechat:o-user:1") == "o-user:1"  # an address may hold a colon
