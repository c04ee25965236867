"""The application form's checks: 18-digit declaration numbers, at most 50, 有签章 / 无签章."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.queries.application import (
    NO_NUMBERS,
    PICK_SIGNATURE,
    ActionAskDeclarationNumbers,
    ActionAskPrintSignature,
    ActionCancelForm,
    ValidateApplicationForm,
    declaration_numbers,
    signature_choice,
)

A, B = "010120261000000059", "510020260000000052"


@pytest.mark.parametrize(
    "text",
    [
        f"{A},{B}",
        f"{A}，{B}",
        f"{A} {B}\n{A}",
        f"报关单号：{A}、{B}",
        f"０１０１２０２６１０００００００５９,{B}",
    ],
)
def test_numbers_in_any_separator_and_full_width_digits(text: str) -> None:
    assert declaration_numbers(text) == [A, B]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("我也不知道", NO_NUMBERS),
        (f"{A},12345", "以下报关单号不是 18 位数字，请核对后重新发送全部单号：12345"),
        (
            ",".join(f"{n:018d}" for n in range(51)),
            "一次最多申请 50 个报关单号，您发送了 51 个，请分批申请。",
        ),
    ],
)
def test_wrong_numbers_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        declaration_numbers(text)


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("有签章", "signed"),
        ("无签章", "unsigned"),
        ("有", "signed"),
        ("不要签章", "unsigned"),
        ("随便", None),
    ],
)
def test_signature_choice(text: str, choice: str | None) -> None:
    assert signature_choice(text) == choice


def tracker(**slots) -> Tracker:
    return Tracker("webchat:t", slots, {"text": ""}, [], False, None, {}, "action_listen")


async def test_an_export_does_not_ask_for_a_signature() -> None:
    form = ValidateApplicationForm()
    domain_slots = ["declaration_numbers", "print_signature"]
    export = await form.required_slots(
        domain_slots, CollectingDispatcher(), tracker(application_kind="export"), {}
    )
    printing = await form.required_slots(
        domain_slots, CollectingDispatcher(), tracker(application_kind="print"), {}
    )
    assert export == ["declaration_numbers"]
    assert printing == domain_slots


def test_validation_keeps_good_numbers_and_explains_bad_ones() -> None:
    form, dispatcher = ValidateApplicationForm(), CollectingDispatcher()
    numbers = tracker(requested_slot="declaration_numbers")
    assert form.validate_declaration_numbers(f"{A} {B}", dispatcher, numbers, {}) == {
        "declaration_numbers": f"{A},{B}"
    }
    assert form.validate_declaration_numbers("不知道", dispatcher, numbers, {}) == {
        "declaration_numbers": None
    }
    signature = tracker(requested_slot="print_signature")
    assert form.validate_print_signature("随便", dispatcher, signature, {}) == {
        "print_signature": None
    }
    assert [m["text"] for m in dispatcher.messages] == [NO_NUMBERS, PICK_SIGNATURE]


def test_the_opening_payload_is_nobodys_answer() -> None:
    form, dispatcher = ValidateApplicationForm(), CollectingDispatcher()
    opening = '/query_records{"query":"apply_print"}'
    assert form.validate_declaration_numbers(opening, dispatcher, tracker(), {}) == {
        "declaration_numbers": None
    }
    assert form.validate_print_signature(opening, dispatcher, tracker(), {}) == {
        "print_signature": None
    }
    assert dispatcher.messages == []


async def test_cancel_leaves_any_form_and_forgets_its_slots() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelForm().run(dispatcher, tracker(declaration_numbers=A), {})
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "requested_slot": None,
        "application_kind": None,
        "declaration_numbers": None,
        "print_signature": None,
        "period_query": None,
        "period_status": None,
        "query_period": None,
    }


async def test_the_questions_offer_their_answers_and_a_way_out() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskDeclarationNumbers().run(dispatcher, tracker(), {})
    await ActionAskPrintSignature().run(dispatcher, tracker(), {})
    numbers, signature = dispatcher.messages
    assert "18 位" in numbers["text"] and "50 个" in numbers["text"]
    assert [b["payload"] for b in numbers["buttons"]] == ["/cancel"]
    # The choices send their own words, which the form reads as the slot's value.
    assert [(b["title"], b["payload"]) for b in signature["buttons"]] == [
        ("有签章", "有签章"),
        ("无签章", "无签章"),
        ("取消", "/cancel"),
    ]
    assert all(signature_choice(b["payload"]) for b in signature["buttons"][:2])
