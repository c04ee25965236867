"""Score the FAQ on phrasings it was never trained on, the way users meet it.

A held-out phrasing counts as correct only when the bot answers it with its own entry
(`decide`: the FAQ action's `understand`, unless a dialogue rule sends the message's intent to
another action), so a right guess below the confidence threshold (the bot says it is not sure)
is a miss. An out-of-scope question counts as rejected whenever the bot does not answer it with
an entry. The benchmarks (bench/nlu.py, bench/fresh_score.py), the accuracy test and the
publish gate (stack/publish.py) share this code.

Two sets are scored the same way: the held-out phrasings (some trained phrasings were written
after looking at which of them the model missed, so they flatter it a little) and the fresh
phrasings (written once and never tuned on: the honest estimate for unseen questions).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from actions.faq.knowledge import KnowledgeBase
from actions.faq.understanding import ANSWER_THRESHOLD, Answer, Decision, understand

Parser = Callable[[str], dict[str, Any]]

RULES = Path(__file__).resolve().parents[2] / "bot" / "data" / "rules.yml"
FAQ_ACTION = "action_answer_faq"


@cache
def routed_elsewhere(rules: Path = RULES) -> frozenset[str]:
    """Intents the dialogue's rules send to an action other than the FAQ's (greet, handoff,
    query_records…): the bot greets "你好 778899 在吗" whatever the selector made of it, so a
    benchmark scores that turn as the bot answers it, never as an entry."""
    routed = set()
    for rule in yaml.safe_load(rules.read_text(encoding="utf-8"))["rules"]:
        steps = rule.get("steps") or []
        if rule.get("condition") or len(steps) < 2:
            continue
        intent, action = steps[0].get("intent"), steps[1].get("action")
        if intent and action and action != FAQ_ACTION:
            routed.add(intent)
    return frozenset(routed)


@dataclass(frozen=True)
class RoutedElsewhere:
    """The turn goes to another rule's action (its intent); no entry answers it."""

    intent: str


def decide(
    parse: dict[str, Any], kb: KnowledgeBase, threshold: float = ANSWER_THRESHOLD
) -> Decision | RoutedElsewhere:
    """What the bot does with a parsed message: the FAQ action's decision, unless a rule
    sends the message's intent elsewhere."""
    intent = (parse.get("intent") or {}).get("name")
    if intent in routed_elsewhere():
        return RoutedElsewhere(intent)
    return understand(parse, kb, threshold=threshold)


@dataclass(frozen=True)
class Case:
    text: str
    expected: str | None  # entry id; None for an out-of-scope question


@dataclass(frozen=True)
class Parsed:
    case: Case
    parse: dict[str, Any]
    milliseconds: float


@dataclass(frozen=True)
class Scores:
    threshold: float
    heldout_top1: float
    oos_reject: float
    # In-scope questions answered with the wrong entry: worse than saying "not sure".
    wrong_answers: int
    not_sure: int
    misses: list[tuple[Case, str]]  # (case, what the bot did: an entry id, "not_sure", ...)

    def weakest(
        self, kb: KnowledgeBase, limit: int = 10, which: str = "heldout"
    ) -> list[tuple[str, int, int, str]]:
        """(entry, misses, cases of the entry, what it was taken for) for the most missed entries.

        `which` names the set that was scored ("heldout" or "fresh"), for the per-entry count.
        """
        missed: dict[str, list[str]] = {}
        for case, outcome in self.misses:
            if case.expected is not None:
                missed.setdefault(case.expected, []).append(outcome)
        rows = []
        for entry_id, outcomes in missed.items():
            entry = kb.entry(entry_id)
            total = len(getattr(entry, which)) if entry else 0
            taken = ", ".join(f"{o}×{n}" for o, n in Counter(outcomes).most_common(3))
            rows.append((entry_id, len(outcomes), total, taken))
        return sorted(rows, key=lambda row: (-row[1] / max(row[2], 1), row[0]))[:limit]


def cases(kb: KnowledgeBase, which: str = "heldout") -> list[Case]:
    """The questions of one evaluation set: "heldout" (partly tuned on) or "fresh" (never)."""
    held = [Case(text, entry.id) for entry in kb.entries for text in getattr(entry, which)]
    return held + [Case(text, None) for text in getattr(kb.out_of_scope, which)]


def collect(parse: Parser, all_cases: list[Case]) -> list[Parsed]:
    parsed = []
    for case in all_cases:
        started = time.perf_counter()
        result = parse(case.text)
        parsed.append(Parsed(case, result, (time.perf_counter() - started) * 1000))
    return parsed


def outcome(parse: dict[str, Any], kb: KnowledgeBase, threshold: float = ANSWER_THRESHOLD) -> str:
    """The entry answered, or what the bot did instead ("notsure", "decline", "greet"…)."""
    decision = decide(parse, kb, threshold)
    if isinstance(decision, Answer):
        return decision.entry.id
    if isinstance(decision, RoutedElsewhere):
        return decision.intent
    return type(decision).__name__.lower()


def score(
    parsed: list[Parsed], kb: KnowledgeBase, threshold: float = ANSWER_THRESHOLD
) -> Scores:
    in_scope = [p for p in parsed if p.case.expected is not None]
    outside = [p for p in parsed if p.case.expected is None]
    misses: list[tuple[Case, str]] = []
    correct = rejected = wrong = unsure = 0
    for item in parsed:
        did = outcome(item.parse, kb, threshold)
        answered = kb.entry(did) is not None
        if item.case.expected is None:
            if answered:
                misses.append((item.case, did))
            else:
                rejected += 1
        elif did == item.case.expected:
            correct += 1
        else:
            misses.append((item.case, did))
            wrong += answered
            unsure += not answered
    return Scores(
        threshold=threshold,
        heldout_top1=correct / max(len(in_scope), 1),
        oos_reject=rejected / max(len(outside), 1),
        wrong_answers=wrong,
        not_sure=unsure,
        misses=misses,
    )


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]
