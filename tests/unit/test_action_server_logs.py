"""The action server's log lines are redacted like the service's, whichever library logs them."""

import json
import logging
import sys

import pytest
from sanic import Sanic

from actions import __main__ as action_server
from kernel.settings import shared_settings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch):
    """The action server's main(), up to the point where it would serve."""
    served = []
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app name per process otherwise
    monkeypatch.setattr(Sanic, "run", lambda app, **kw: served.append(kw))
    monkeypatch.setattr(sys, "argv", ["actions", "--port", "5099"])
    monkeypatch.setenv("SWA_LOG_LEVEL", "DEBUG")

    def start(json_lines: bool) -> None:
        monkeypatch.setenv("SWA_LOG_JSON", str(json_lines).lower())
        shared_settings.cache_clear()
        action_server.main()
        assert served[-1]["port"] == 5099

    yield start
    shared_settings.cache_clear()
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize("json_lines", [False, True])
def test_personal_numbers_and_secrets_are_masked_in_every_loggers_lines(
    started, capsys, json_lines: bool
) -> None:
    started(json_lines)
    # What rasa_sdk logs at DEBUG (events it ignores, with their slots), what Sanic logs on an
    # error, and what an action logs.
    logging.getLogger("rasa_sdk.executor").debug(
        "Contents of ignored event: '%s'", {"event": "slot", "value": "13812345678"}
    )
    logging.getLogger("sanic.error").error("request failed: %s", "身份证110105491231002")
    logging.getLogger("actions.queries.actions").warning("asked with +86 139 1234 5678")
    logging.getLogger("rasa_sdk.endpoint").info("GET /status?token=s3cret")
    lines = capsys.readouterr().err.strip().splitlines()[-4:]
    if json_lines:
        lines = [json.loads(line)["message"] for line in lines]
    text = "\n".join(lines)
    for secret in ("13812345678", "110105491231002", "139 1234 5678", "s3cret"):
        assert secret not in text
    for masked in ("138****5678", "1101*******1002", "+86 139****5678", "token=***"):
        assert masked in text
