"""Process-wide logging: plain lines for people, one JSON object per line for machines.

Secrets must never reach a log. The Rasa HTTP API takes its token as a query parameter, so any
logged URL could carry it: a filter scrubs token-like parameters from every record, and httpx's
per-request INFO lines are turned off. The same filter masks personal numbers (ID cards,
phones, bank cards) that a logged message might quote.
"""

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from queue_service.privacy import mask_personal_numbers

_SECRET_PARAM = re.compile(r"(?i)\b(token|secret|password|access_token)=([^&\s'\"]+)")


def redact(text: str) -> str:
    return mask_personal_numbers(_SECRET_PARAM.sub(r"\1=***", text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
