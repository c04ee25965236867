"""Process-wide logging: plain lines for people, one JSON object per line for machines.

Secrets must never reach a log. The Rasa HTTP API takes its token as a query parameter, so any
logged URL could carry it: a filter scrubs token-like parameters from every record, and httpx's
per-request INFO lines are turned off. The same filter masks personal numbers (ID cards,
phones, bank cards) that a logged message might quote, and replaces conversation ids, in the
message and in its extras (JSON lines carry them), by stable references (pseudonyms.py).
Tracebacks are scrubbed the same way (a database error quotes its parameters), and uvicorn's own
lines (it logs each socket's path and query) go through the same handler.
"""

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from kernel.privacy import mask_personal_numbers
from kernel.pseudonyms import conversation_ref, pseudonymise

_SECRET_PARAM = re.compile(r"(?i)\b(token|secret|password|access_token)=([^&\s'\"]+)")


def redact(text: str) -> str:
    return mask_personal_numbers(_SECRET_PARAM.sub(r"\1=***", text))


# What every record has; anything else is an extra (`extra={...}`), which JSON lines carry.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(pseudonymise(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for name, value in vars(record).copy().items():
            if name == "conversation_id" and isinstance(value, str) and ":#" not in value:
                record.conversation_id = conversation_ref(value)
            elif name not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, name, pseudonymise(value))
        return True


class _ScrubbedFormatter(logging.Formatter):
    """Tracebacks scrubbed like messages: a database error quotes its statement's parameters."""

    def formatException(self, ei) -> str:
        return redact(pseudonymise(super().formatException(ei)))


class _ScrubbedJsonFormatter(_ScrubbedFormatter, JsonFormatter):
    pass


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            _ScrubbedJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_ScrubbedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's command line gives its loggers handlers of their own, which would bypass the
    # filter: their lines go through this handler instead. (A logger it turned off, the access
    # log with --no-access-log, has no handler and does not propagate: it stays off.)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if logger.handlers:
            logger.handlers.clear()
            logger.propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
