"""Rasa's Redis tracker store, bounded: a conversation's turn costs the same at turn 200 as at
turn 1 (issue 16).

Rasa keeps every event of a conversation in one Redis value and, on every turn, reads it,
rebuilds the tracker from all of its events, sends them all to the action server, and writes
them all back; a user's median turn went from 116 ms to 606 ms over 200 turns. The transcript
is kept in the service's own SQL, so Rasa needs only what its policies and forms look at: the
last turns, the slots and the active form. Once a conversation holds more than `max_events`
events, the older ones are replaced by a short prologue that restores the same state (a
session start, the current slot values, the active form), and the newest turns are kept whole.
Trimming to half of `max_events` keeps it from happening on every turn.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons import action_validation
from rasa_addons.redis_stores import pop_sentinel_options, store_client

# Rasa imports this module in its server process: the hook for the schema check once.
action_validation.install()

DEFAULT_MAX_EVENTS = 100


def prologue(tracker: DialogueStateTracker, timestamp: float) -> list[Event]:
    """Events that put a fresh tracker in the state this one is in now."""
    events: list[Event] = [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=timestamp),
        SessionStarted(timestamp=timestamp),
    ]
    for slot in tracker.slots.values():
        if slot.value != slot.initial_value:
            events.append(SlotSet(slot.name, slot.value, timestamp=timestamp))
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name, timestamp=timestamp))
    events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=timestamp))
    return events


def bounded(
    tracker: DialogueStateTracker, max_events: int, domain: Domain | None
) -> DialogueStateTracker:
    """The tracker, or one with the same state and its newest turns when it has grown past
    max_events: kept from a user message on, so no turn is cut in half."""
    events = list(tracker.events)
    if len(events) <= max_events:
        return tracker
    start = len(events) - max_events // 2
    while start < len(events) and not isinstance(events[start], UserUttered):
        start += 1
    if start >= len(events):
        return tracker  # one turn longer than the bound: nothing can go
    kept = events[start:]
    trimmed = tracker.init_copy()  # same sender and slot definitions, slots at their initial
    trimmed.update_with_events(
        prologue(tracker, kept[0].timestamp - 1e-3) + kept, domain, override_timestamp=False
    )
    return trimmed


class BoundedRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that keeps at most `max_events` events per conversation (see above),
    its client built by rasa_addons/redis_stores.py (fail-fast bounds, Redis Sentinel).

    endpoints.yml: tracker_store: type: rasa_addons.tracker_store.BoundedRedisTrackerStore,
    with the Redis store's settings, max_events, and sentinels, master_name and
    sentinel_password."""

    def __init__(self, domain: Domain, max_events: int = DEFAULT_MAX_EVENTS, **kwargs: Any) -> None:
        ours = pop_sentinel_options(kwargs)
        super().__init__(domain, **kwargs)
        self.max_events = int(max_events)
        self.red = store_client(
            kwargs.get("host") or "127.0.0.1",
            kwargs.get("port", 6379),
            kwargs.get("db", 0),
            kwargs.get("password"),
            decode_responses=True,
            **ours,
        )

    # Rasa's own signature, timeout included.
    async def save(
        self,
        tracker: DialogueStateTracker,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None:
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                tracker = self._merge_trackers(prior, tracker)
        tracker = bounded(tracker, self.max_events, self.domain)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)
