"""Sessions cut at silences longer than the gap, unless an agent's chat went on through one."""

from datetime import UTC, datetime, timedelta

from queue_service.db import Chat
from queue_service.outcomes import Line, split

START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
GAP = timedelta(minutes=30)


def line(number: int, minutes: float) -> Line:
    return Line(number, "webchat:x", "user", START + timedelta(minutes=minutes), {})


def ids(runs: list[list[Line]]) -> list[list[int]]:
    return [[each.id for each in run] for run in runs]


def test_a_silence_longer_than_the_gap_starts_a_new_session() -> None:
    lines = [line(1, 0), line(2, 29), line(3, 58), line(4, 89), line(5, 200)]
    assert ids(split(lines, GAP)) == [[1, 2, 3], [4], [5]]
    assert ids(split([], GAP)) == []


def test_a_chat_with_an_agent_holds_the_session_through_a_silence() -> None:
    lines = [line(1, 0), line(2, 5), line(3, 80), line(4, 200)]
    open_chat = Chat(assigned_at=START + timedelta(minutes=4), closed_at=None)
    assert ids(split(lines, GAP, [open_chat])) == [[1, 2, 3, 4]]
    closed = Chat(assigned_at=START + timedelta(minutes=4), closed_at=START + timedelta(minutes=81))
    assert ids(split(lines, GAP, [closed])) == [[1, 2, 3], [4]]
