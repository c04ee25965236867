"""Logs carry no secrets, in plain and JSON form."""

import json
import logging

import pytest
import uvicorn

from kernel.logging_setup import RedactingFilter, configure_logging, redact
from kernel.pseudonyms import conversation_ref


def test_redact_scrubs_token_like_parameters() -> None:
    assert redact("GET /status?token=abc123&x=1") == "GET /status?token=***&x=1"
    assert redact("password=hunter2 secret=s") == "password=*** secret=***"
    assert redact("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize("json_lines", [False, True])
def test_records_are_scrubbed(capsys, json_lines: bool) -> None:
    configure_logging("INFO", json_lines=json_lines)
    logging.getLogger("swa.test").info("calling %s", "http://rasa/status?token=top-secret")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "top-secret" not in line
    assert "token=***" in line
    if json_lines:
        record = json.loads(line)
        assert record["level"] == "INFO"
        assert record["logger"] == "swa.test"
    logging.getLogger().handlers.clear()


WEBCHAT = "webchat:2f1e4c1a-9b7e-4d3c-8a6f-0e5d4c3b2a19"


@pytest.mark.parametrize("json_lines", [False, True])
def test_conversation_ids_are_replaced_by_stable_references(capsys, json_lines: bool) -> None:
    configure_logging("INFO", json_lines=json_lines)
    log = logging.getLogger("swa.test")
    log.warning("rasa unavailable", extra={"conversation_id": WEBCHAT, "error": "timeout"})
    log.warning("turn for %s failed", "wechat:oAbC-123_x", extra={"conversation_id": "bench:7"})
    log.warning("chat of telegram:-1001234 and %s", WEBCHAT, extra={"agent": f"to {WEBCHAT}"})
    try:
        raise RuntimeError(f"[parameters: ('{WEBCHAT}', 'hello')]")
    except RuntimeError:
        log.exception("turn failed")
    # uvicorn's own line for a page from before, as its command line sets its loggers up.
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "203.0.113.9:5000", "/channels/webchat/ws?conversation=x1"
    )
    out = capsys.readouterr().err
    for raw in ("2f1e4c1a", "oAbC-123_x", "1001234", "bench:7", "conversation=x1"):
        assert raw not in out
    reference = conversation_ref(WEBCHAT)
    assert reference.startswith("webchat:#") and len(reference) == len("webchat:#") + 12
    # The same id, the same reference, everywhere: message and traceback; JSON lines also carry
    # the extras (conversation_id and agent).
    assert out.count(reference) == (4 if json_lines else 2)
    assert conversation_ref("wechat:oAbC-123_x") in out
    assert "conversation=***" in out
    if json_lines:
        first = json.loads(out.splitlines()[0])
        assert (first["conversation_id"], first["error"]) == (reference, "timeout")
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize("access_log", [True, False])
def test_uvicorns_loggers_write_through_the_filter(access_log: bool) -> None:
    # As uvicorn's command line sets them up, with or without --no-access-log.
    uvicorn.Config("queue_service.app:create_app", access_log=access_log)
    configure_logging("INFO")
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.propagate
    [handler] = logging.getLogger().handlers
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    # The access log stays as asked: through the filter, or off.
    assert logging.getLogger("uvicorn.access").hasHandlers() is access_log
    logging.getLogger().handlers.clear()
