"""A connection to Rasa that drops before the answer (issue 21): the message is sent again only
when the tracker shows it never arrived, its answer is taken from the tracker when it did, and
a turn that may still run gets the apology, never a second run. A real HTTP/1.1 keep-alive
server closes the connections."""

import asyncio

import pytest

from queue_service.rasa_client import KEEPALIVE_S, RasaClient, RasaUnavailable
from tests.support.rasa_standins import dropping_rasa


async def ask(url: str, *messages: str) -> list[str | None]:
    client = RasaClient(url, token="t", timeout_s=5.0)
    try:
        texts: list[str | None] = []
        for message in messages:
            texts.extend(m.text for m in await client.send("webchat:u1", message))
        return texts
    finally:
        await client.aclose()


def test_a_message_dropped_before_rasa_heard_it_is_sent_once_more() -> None:
    with dropping_rasa(unheard=("第二个问题",)) as rasa:
        texts = asyncio.run(ask(rasa.url, "第一个问题", "第二个问题"))
    assert texts == ["收到：第一个问题", "收到：第二个问题"]
    assert rasa.posts == ["第一个问题", "第二个问题"]


def test_a_message_answered_before_the_drop_is_not_run_twice() -> None:
    with dropping_rasa(answered=("第二个问题",)) as rasa:
        texts = asyncio.run(ask(rasa.url, "第一个问题", "第二个问题"))
    assert texts == ["收到：第一个问题", "收到：第二个问题"]
    assert rasa.posts == ["第一个问题", "第二个问题"]


def test_a_turn_dropped_while_it_may_still_run_gets_the_apology_not_a_second_run() -> None:
    with (
        dropping_rasa(running=("第二个问题",)) as rasa,
        pytest.raises(RasaUnavailable, match="after Rasa received"),
    ):
        asyncio.run(ask(rasa.url, "第一个问题", "第二个问题"))
    assert rasa.posts == ["第一个问题", "第二个问题"]


def test_idle_connections_are_let_go_before_rasas_keep_alive_ends() -> None:
    # Sanic, Rasa's server, closes an idle keep-alive connection after 5 s; a client that kept
    # it as long would now and then send a message down a connection the server is closing.
    assert KEEPALIVE_S < 5

    async def keepalive_of_a_new_client() -> float:
        client = RasaClient("http://127.0.0.1:1", token="t", timeout_s=5.0)
        try:
            return client._http().connector._keepalive_timeout
        finally:
            await client.aclose()

    assert asyncio.run(keepalive_of_a_new_client()) == KEEPALIVE_S
