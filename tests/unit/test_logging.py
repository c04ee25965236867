"""Logs carry no secrets, in plain and JSON form."""

import json
import logging

import pytest

from queue_service.logging_setup import configure_logging, redact


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
