"""The card bridge as a process on 127.0.0.1, called over HTTP as the chat page calls it."""

import base64
import json

import gmssl_pyx
import httpx
from fastapi.testclient import TestClient

from integrations.card.bridge import create_app
from integrations.card.pacing import MAX_DELAY_S, PinPacer, delay_s
from integrations.card.settings import BridgeSettings
from kernel.card_protocol import signed_message
from tests.support.eport_card import INITIAL_PIN
from tests.support.pcsc import READER_NAME

CHALLENGE = "Zb1Qm0XvTq7sWc2Ue9rYk4pLn8aHg3dJf6tRz5oKi0E"


def _prove(bridge, pin: str, **extra) -> httpx.Response:
    body = {"challenge": CHALLENGE, "pin": pin, **extra}
    return httpx.post(f"{bridge.url}/prove", json=body, headers=bridge.headers(), timeout=10)


def test_readers_and_whether_a_card_is_in(bridge, reader, new_card):
    listed = httpx.get(f"{bridge.url}/readers", headers=bridge.headers())
    assert listed.status_code == 200
    assert {"name": READER_NAME, "card_present": False} in listed.json()["readers"]
    assert listed.headers["access-control-allow-origin"] == bridge.origin
    reader.insert(new_card())
    listed = httpx.get(f"{bridge.url}/readers", headers=bridge.headers())
    assert {"name": READER_NAME, "card_present": True} in listed.json()["readers"]


def test_a_proof_is_signed_by_the_card_and_the_pin_stays_out_of_logs(bridge, reader, new_card):
    applet = new_card(card_number="8930000077777")
    reader.insert(applet)
    answer = _prove(bridge, INITIAL_PIN)
    assert answer.status_code == 200, answer.text
    proof = answer.json()
    assert proof["card_number"] == "8930000077777"
    assert proof["initial_pin"] is True
    assert answer.headers["cache-control"] == "no-store"
    signature = base64.b64decode(proof["signature"])
    assert gmssl_pyx.sm2_verify(applet.key.public, signed_message(CHALLENGE), signature)
    assert INITIAL_PIN not in answer.text
    assert INITIAL_PIN not in bridge.log.read_text(errors="replace")


def test_a_wrong_pin_says_how_many_tries_are_left_then_the_lock(bridge, reader, new_card):
    applet = new_card()
    reader.insert(applet)
    answer = _prove(bridge, "12345670")
    assert answer.status_code == 409
    assert answer.json()["error"] == "wrong_pin"
    assert answer.json()["tries_left"] == 4
    assert "还可以尝试 4 次" in answer.json()["message"]
    for _ in range(4):
        answer = _prove(bridge, "12345670")
    assert answer.json()["error"] == "locked"
    assert "解锁" in answer.json()["message"]
    assert _prove(bridge, INITIAL_PIN).json()["error"] == "locked"
    assert "12345670" not in bridge.log.read_text(errors="replace")


def test_no_card_and_malformed_requests_get_clear_answers(bridge, reader):
    answer = _prove(bridge, INITIAL_PIN)
    assert (answer.status_code, answer.json()["error"]) == (409, "no_card")
    assert "请将法人卡或操作员卡插入读卡器" in answer.json()["message"]
    bad = httpx.post(
        f"{bridge.url}/prove", json={"pin": "13572468"}, headers=bridge.headers(), timeout=10
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")
    assert "13572468" not in bad.text  # the input is not echoed
    assert (
        httpx.post(
            f"{bridge.url}/prove", content=b"{", headers=bridge.headers(), timeout=10
        ).status_code
        == 400
    )


def test_card_insertion_and_removal_are_streamed(bridge, reader, new_card):
    with httpx.stream("GET", f"{bridge.url}/events", headers=bridge.headers(), timeout=10) as s:
        assert s.status_code == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        events = _events(s.iter_lines())
        first = next(events)
        assert first[0] == "readers"
        assert {"name": READER_NAME, "card_present": False} in first[1]["readers"]
        reader.insert(new_card())
        assert next(events) == ("card_inserted", {"reader": READER_NAME})
        reader.remove()
        assert next(events) == ("card_removed", {"reader": READER_NAME})


def test_a_page_from_another_origin_gets_nothing(bridge, reader, new_card):
    card = reader.insert(new_card())
    evil = {"Origin": "https://evil.example"}
    for response in (
        httpx.get(f"{bridge.url}/readers", headers=evil),
        httpx.get(f"{bridge.url}/readers"),  # no Origin at all: not a page we serve
        httpx.post(
            f"{bridge.url}/prove",
            json={"challenge": CHALLENGE, "pin": INITIAL_PIN},
            headers=evil,
        ),
        httpx.request(
            "OPTIONS",
            f"{bridge.url}/prove",
            headers={**evil, "Access-Control-Request-Method": "POST"},
        ),
        httpx.get(f"{bridge.url}/events", headers=evil),
    ):
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
    assert card.apdus == []  # the card was never touched
    assert card.applet.tries == 5


def test_a_rebound_host_name_is_refused_even_from_the_allowed_origin(bridge, reader):
    answer = httpx.get(
        f"{bridge.url}/readers", headers={**bridge.headers(), "Host": "attacker.example:80"}
    )
    assert answer.status_code == 403


def test_the_allowed_origin_passes_the_private_network_preflight(bridge):
    answer = httpx.request(
        "OPTIONS",
        f"{bridge.url}/prove",
        headers={
            **bridge.headers(),
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == bridge.origin
    assert answer.headers["access-control-allow-private-network"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]


def _events(lines):
    """(event, data) pairs from a Server-Sent Events line stream."""
    name, data = None, None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
        elif line == "" and name is not None:
            yield name, data
            name, data = None, None


def test_the_pin_is_changed_through_the_bridge(bridge, reader, new_card):
    applet = new_card()
    reader.insert(applet)

    def change(old: str, new: str) -> httpx.Response:
        return httpx.post(
            f"{bridge.url}/change-pin",
            json={"old_pin": old, "new_pin": new},
            headers=bridge.headers(),
            timeout=10,
        )

    wrong = change("11112222", "97531864")
    assert (wrong.status_code, wrong.json()["tries_left"]) == (409, 4)
    weak = change(INITIAL_PIN, INITIAL_PIN)
    assert weak.json()["error"] == "weak_pin" and "不能是初始密码" in weak.json()["message"]
    done = change(INITIAL_PIN, "97531864")
    assert (done.status_code, done.json()) == (200, {"changed": True})
    assert applet.pin == "97531864"
    assert _prove(bridge, "97531864").json()["initial_pin"] is False
    assert "97531864" not in bridge.log.read_text(errors="replace")
    refused = httpx.post(
        f"{bridge.url}/change-pin",
        json={"old_pin": INITIAL_PIN, "new_pin": "11223344"},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert applet.pin == "97531864"


def test_wrong_pins_are_answered_ever_later_per_card_until_a_right_one(reader, new_card):
    """The delay schedule, read from the bridge's own sleep (no wall-clock timing): 1, 2, 4, 8 s
    for wrong PINs in a row, nothing for a right one, and a fresh start after it."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = BridgeSettings(allowed_origins="http://chat.example.test:8000")
    app = create_app(settings, PinPacer(sleep))
    client = TestClient(app, base_url=f"http://127.0.0.1:{settings.port}")
    headers = {"Origin": "http://chat.example.test:8000"}

    def prove(pin: str) -> httpx.Response:
        return client.post("/prove", json={"challenge": CHALLENGE, "pin": pin}, headers=headers)

    def change(old: str, new: str) -> httpx.Response:
        return client.post("/change-pin", json={"old_pin": old, "new_pin": new}, headers=headers)

    reader.insert(new_card())
    assert [prove("12345670").json()["tries_left"] for _ in range(3)] == [4, 3, 2]
    assert change("12345670", "97531864").json()["tries_left"] == 1  # the old PIN is a PIN too
    assert slept == [1, 2, 4, 8]
    assert prove(INITIAL_PIN).status_code == 200
    assert slept == [1, 2, 4, 8]
    assert prove("12345670").json()["error"] == "wrong_pin"
    assert slept == [1, 2, 4, 8, 1]
    # Another card has its own count.
    reader.insert(new_card())
    assert prove("12345670").status_code == 409
    assert slept == [1, 2, 4, 8, 1, 1]


def test_the_delay_doubles_up_to_its_cap() -> None:
    assert [delay_s(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert MAX_DELAY_S == 30
