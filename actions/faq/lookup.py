"""A message that is little more than a number: that record for its owner, never an FAQ answer.

understand() returns Lookup for "税单000022000000000023详情", "京A12345" or a bare 18-digit
number. A verified user gets the self-service query the number belongs to, scoped to their own
records as every query is (actions/queries); anyone else is told how to log in (QueryRunner's
admit). A phone number or an e-mail address is a contact, not a question: the user is told what
to do with it.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.buttons import HANDOFF_BUTTON
from actions.queries.actions import QueryRunner
from actions.queries.render import Message, Query
from kernel import numbers
from kernel.claims import Kind
from kernel.signing import IdentityRejected

PHONE_TEXT = (
    "您发送的似乎是一个电话号码。为保护您的隐私，我不会通过电话号码查询资料。"
    "如需客服与您联系，请转人工客服，或在留言时留下这个号码；如有其他问题，请直接描述您的问题。"
)

EMAIL_TEXT = (
    "您发送的似乎是一个电子邮箱地址。我不会通过邮箱地址查询资料。"
    "如需客服回复到这个邮箱，请转人工客服，或在留言时留下它；如有其他问题，请直接描述您的问题。"
)

QUERY_OF_KIND: dict[str, Query] = {
    numbers.TAX_BILL: Query.TAX_BILLS,
    numbers.CLEARANCE: Query.CLEARANCES,
    numbers.DECLARATION: Query.PRINTS,
    numbers.APPLICATION: Query.PRINTS,
    numbers.APPOINTMENT: Query.APPOINTMENTS,
    numbers.PLATE: Query.VEHICLES,
}
# A number whose kind the words do not say: the records the user's kind has numbers for.
QUERY_OF_USER = {Kind.PERSON: Query.TAX_BILLS, Kind.ENTERPRISE: Query.PRINTS}


def query_for(number: numbers.Number, runner: QueryRunner, tracker: Tracker) -> Query | None:
    """The query that shows this number's record; None: the login prompt or the query menu."""
    if number.kind in QUERY_OF_KIND:
        return QUERY_OF_KIND[number.kind]
    try:
        identity = runner.identity(tracker)
    except IdentityRejected:
        return None
    return QUERY_OF_USER.get(identity.kind) if identity else None


async def reply(number: numbers.Number, runner: QueryRunner, tracker: Tracker) -> list[Message]:
    if number.kind == numbers.PHONE:
        return [{"text": PHONE_TEXT, "buttons": [HANDOFF_BUTTON]}]
    if number.kind == numbers.EMAIL:
        return [{"text": EMAIL_TEXT, "buttons": [HANDOFF_BUTTON]}]
    return await runner.answer(query_for(number, runner, tracker), tracker)
