"""The XML WeChat speaks: parsed defensively, replies rendered with CDATA done right.

WeChat's messages are flat: ``<xml><Field>value</Field>...</xml>``. Parsing goes through
defusedxml with DTDs forbidden, so a document carrying a DOCTYPE, an entity declaration or an
external reference is refused before anything is expanded (wechatpy parses with xmltodict, which
only forbids entity declarations; nothing reaches it unguarded). Size is checked by the caller
before parsing.

wechatpy writes replies as ``<![CDATA[value]]>`` without escaping; a value containing ``]]>``
would end the section early and let text be read as markup. Each ``]]>`` is split across two
sections instead.
"""

import time
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# Bodies larger than this are refused (413) before parsing.
MAX_BODY_BYTES = 64 * 1024


class BadXml(ValueError):
    """Not a flat WeChat XML document, or one with a DTD / entities."""


def parse(body: bytes | str) -> dict[str, str]:
    """The fields of a ``<xml>`` document; BadXml for anything else."""
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadXml(str(exc)) from exc
    if root.tag != "xml":
        raise BadXml(f"root element is {root.tag!r}")
    return {child.tag: (child.text or "") for child in root}


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    """A passive text reply (to_user: the user's openid; from_user: the account's id)."""
    created = int(time.time()) if now is None else now
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )
