"""Conversation ids in log lines, replaced by stable short references.

A conversation id names a person's chat: a web chat conversation, a WeChat openid, a Telegram
chat id. Log lines carry "webchat:#3f2a1b9c0d4e" instead, the first 12 hex digits of the id's
SHA-256: the same id always gives the same reference, so an operator can still follow one
conversation through the lines, and find the lines of a known id with conversation_ref(id).
(A reference is not a secret either: whoever knows an id can compute it, and a Telegram chat
id, a number, can be found from its reference by trying them all.)

The web chat's old page URLs (?conversation=<id>) are scrubbed too: uvicorn logs the query
string of every socket it accepts.
"""

import hashlib
import re

_CONVERSATION = re.compile(r"\b(webchat|wechat|telegram):[A-Za-z0-9_-]+")
_QUERY = re.compile(r"(?i)\b(conversation)=([^&\s'\"]+)")


def conversation_ref(conversation_id: str) -> str:
    channel, separator, _ = conversation_id.partition(":")
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:12]
    return f"{channel if separator else 'conversation'}:#{digest}"


def pseudonymise(text: str) -> str:
    """Every conversation id in the text replaced by its reference."""
    return _QUERY.sub(r"\1=***", _CONVERSATION.sub(lambda m: conversation_ref(m.group(0)), text))
