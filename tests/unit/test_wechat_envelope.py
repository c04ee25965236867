"""WeChat XML and signatures without a server: CDATA escaping, DTD refusal, sha1 signatures."""

import hashlib
from xml.etree import ElementTree

import pytest

from integrations.wechat import envelope, inbound
from integrations.wechat.signature import sign, valid


def test_signature_is_sha1_of_the_sorted_parts() -> None:
    expected = hashlib.sha1("".join(sorted(["tok", "1700000000", "abc"])).encode()).hexdigest()
    assert sign("tok", "1700000000", "abc") == expected
    assert valid(("tok", "1700000000", "abc"), expected)
    assert valid(("tok", "1700000000", "abc"), expected.upper())
    assert not valid(("tok", "1700000000", "abc"), expected[:-1] + "0")
    assert not valid(("tok", "1700000000", "abc"), None)


@pytest.mark.parametrize("content", ["a]]>b", "]]>", "x]]]]>y", "<b>&amp;</b>"])
def test_reply_content_survives_cdata(content: str) -> None:
    xml = envelope.text_reply("o-user", "gh_account", content, now=1)
    assert ElementTree.fromstring(xml).findtext("Content") == content
    assert envelope.parse(xml)["Content"] == content


@pytest.mark.parametrize(
    "document",
    [
        '<!DOCTYPE xml [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>',
        '<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml/>',
        "<xml><Content>unclosed</xml>",
        "<notxml/>",
    ],
)
def test_dtds_and_non_wechat_documents_are_refused(document: str) -> None:
    with pytest.raises(envelope.BadXml):
        envelope.parse(document)


def test_retries_are_keyed_by_msgid_or_user_and_time() -> None:
    assert inbound.dedupe_key({"MsgId": "42", "FromUserName": "o"}) == "msg:42"
    assert inbound.dedupe_key({"FromUserName": "o", "CreateTime": "9"}) == "event:o:9"
