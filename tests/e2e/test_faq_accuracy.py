"""FAQ accuracy on held-out and fresh phrasings, through the real model: a regression fails CI.

The same scoring as bench/nlu.py (which also sweeps thresholds and times parsing). The issue's
targets are held-out top-1 >= 0.90 and out-of-scope rejection >= 0.80 (docs/faq.md has the
figures); the floors below are the last measured level minus a margin for training noise (the
FAQ selector is deterministic, DIET's out-of-scope decisions vary a little between trainings).
Raise them as the model improves; never lower them.

The fresh set (2 questions per entry, 40 out of scope) was written once and never tuned on, so
its floors guard what unseen questions get; never add phrasings because a fresh question missed.
"""

from dataclasses import dataclass

import httpx
import pytest

from actions.faq import fresh_set, knowledge
from actions.faq.evaluation import Scores, cases, collect, score
from tests.e2e.conftest import RASA_TOKEN

pytestmark = pytest.mark.e2e

# Measured 0.916 with the linear SVM selector (0.865 before), 0.926 with the sentence embedding
# beside the n-grams (issue 17, second round).
HELDOUT_TOP1_FLOOR = 0.91
# Measured 0.971 of 68 after issue 17 (0.941 before its subject checks and negatives), 0.985
# after its fourth round, 1.000 after its sixth.
OOS_REJECT_FLOOR = 0.97
# Answering with the wrong entry is worse than admitting doubt: at most this share of
# in-scope held-out questions may get a wrong answer (measured 34 of 475, 7.2%; 55 before;
# 32 after the second round of issue 17).
WRONG_ANSWER_CEILING = 0.09
# Fresh set, measured 2026-11-25 on the committed model and again after a cold retraining
# (identical): top-1 0.996 (227 of 228), rejection 0.850 (34 of 40), 1 wrong answer. One
# out-of-scope question is 0.025 here, so the rejection floor leaves room for one more miss.
FRESH_TOP1_FLOOR = 0.975
# 0.950 after issue 17 (2 of 40 missed), 0.975 after its fourth round, 1.000 after its sixth
FRESH_OOS_REJECT_FLOOR = 0.95
FRESH_WRONG_ANSWER_CEILING = 0.02


@dataclass(frozen=True)
class Floors:
    """What a fresh set of December 2026 must keep scoring (fresh_set.FreshScores), each a few
    questions below what was measured, for DIET's training noise."""

    oos_declined: float
    numbers_wrong: int
    top1: float
    offered: float
    noise_declined: float
    complaints_right: float | None = None  # the first set has no complaints


FLOORS: dict[str, Floors] = {}

# The fresh set of December 2026 (issue 17, knowledge/evaluation/fresh_2026_12.yml), measured
# 2026-12-05 after the changes: OOS declined or clarified 0.913 (target 0.95: not reached),
# 10 of 50 number-bearing questions answered by another entry (target 0), in-scope top-1 0.991
# and offered 0.991, noise 1.000; after the second round (tuned on by then) 0.963 and 10. Floors
# leave a margin for DIET's training noise.
FLOORS["a"] = Floors(
    oos_declined=0.96,  # 0.969 after the third round, 0.988 after the fourth
    numbers_wrong=7,  # 9 after the third round, 8 after the fourth, 5 after the sixth
    top1=0.97,
    offered=0.98,  # 0.996 after the third round
    noise_declined=0.9,
)

# The second fresh set (knowledge/evaluation/fresh_2026_12b.yml), never tuned on: before the
# second round OOS declined 0.734, 13 numbers answered wrongly, complaints 0.800, in-scope top-1
# 0.930, offered 0.939; after it 0.854 (target 0.95: not reached), 14 (target 0), 0.933, 0.952
# and 0.952 (targets 0.95 / 0.99); after the third round (tuned on by then) 0.911, 12, 0.867,
# 0.952 and 0.991; after the fourth 0.937, 12, 0.933, 0.952 and 0.991; after the fifth 0.943, 11,
# 0.933, 0.952 and 0.991; after the sixth 0.943, 8, 0.933, 0.952 and 0.991 (a number-bearing
# question below 0.65 is clarified). Floors a few questions below, for training noise.
FLOORS["b"] = Floors(
    oos_declined=0.92,
    numbers_wrong=11,
    top1=0.93,
    offered=0.97,
    noise_declined=0.9,
    complaints_right=0.86,
)


# The third fresh set (knowledge/evaluation/fresh_2026_12c.yml, third round), never tuned on:
# before the round OOS declined 0.734, 8 numbers answered wrongly, complaints 0.900, in-scope
# top-1 0.982 and offered 0.982; after it 0.835 (target 0.95: not reached), 4 (target 0), 0.900,
# 0.982 and 1.000 (docs/faq.md). Tuned on in the fourth round (its misses read): 1.000, 1, 1.000,
# 0.982 and 1.000 after it; after the fifth 1.000, 0, 1.000, 0.982 and 1.000. Floors a few
# questions below, for training noise.
FLOORS["c"] = Floors(
    oos_declined=0.95,
    numbers_wrong=2,
    top1=0.96,
    offered=0.98,
    noise_declined=0.9,
    complaints_right=0.9,
)

# The fourth fresh set (knowledge/evaluation/fresh_2026_12d.yml, fourth round), never tuned on:
# before the round OOS declined 0.882, 4 numbers answered wrongly, noise 0.933, complaints 0.933,
# in-scope top-1 0.982 and offered 1.000; after it 0.929 (target 0.95: not reached), 4 (target
# 0), 0.933, 0.800, 0.982 and 1.000 (docs/faq.md). Floors a few questions below, for training
# noise. Tuned on in the fifth round (its misses read): OOS 1.000, 2 numbers, noise 1.000,
# complaints 1.000, 0.982 and 1.000 after it; after the sixth the same with 0 numbers.
FLOORS["d"] = Floors(
    oos_declined=0.97,
    numbers_wrong=2,
    top1=0.96,
    offered=0.98,
    noise_declined=0.93,
    complaints_right=0.93,
)

# The fifth fresh set (knowledge/evaluation/fresh_2026_12e.yml), scored blind by bench.fresh_score
# before and after the fifth round: OOS declined 0.896 → 0.919, 7 → 7 numbers answered by another
# entry, noise 1.000, complaints 0.938, in-scope top-1 and offered 0.974. Tuned on in the sixth
# round (its misses read): 1.000, 0, 1.000, 0.938, 1.000 and 1.000 after it (a fit, not a
# measure). Floors a few questions below, for training noise.
FLOORS["e"] = Floors(
    oos_declined=0.97,
    numbers_wrong=2,
    top1=0.97,
    offered=0.98,
    noise_declined=0.93,
    complaints_right=0.87,
)


def _scores(stack, which: str) -> tuple[Scores, str]:
    kb = knowledge.default()
    with httpx.Client(base_url=stack.rasa_url, params={"token": RASA_TOKEN}, timeout=30) as http:

        def parse(text: str) -> dict:
            response = http.post("/model/parse", json={"text": text})
            response.raise_for_status()
            return response.json()

        result = score(collect(parse, cases(kb, which)), kb)
    misses = "\n".join(f"{c.text} → {o} (expected {c.expected})" for c, o in result.misses)
    return result, misses


def test_heldout_accuracy_and_out_of_scope_rejection(stack) -> None:
    result, misses = _scores(stack, "heldout")
    in_scope = sum(len(e.heldout) for e in knowledge.default().entries)
    assert result.heldout_top1 >= HELDOUT_TOP1_FLOOR, misses
    assert result.oos_reject >= OOS_REJECT_FLOOR, misses
    assert result.wrong_answers <= WRONG_ANSWER_CEILING * in_scope, misses


def test_fresh_accuracy_and_out_of_scope_rejection(stack) -> None:
    result, misses = _scores(stack, "fresh")
    in_scope = sum(len(e.fresh) for e in knowledge.default().entries)
    assert result.heldout_top1 >= FRESH_TOP1_FLOOR, misses
    assert result.oos_reject >= FRESH_OOS_REJECT_FLOOR, misses
    assert result.wrong_answers <= FRESH_WRONG_ANSWER_CEILING * in_scope, misses


def _fresh_set(stack, path) -> tuple[fresh_set.FreshScores, str]:
    kb = knowledge.default()
    with httpx.Client(base_url=stack.rasa_url, params={"token": RASA_TOKEN}, timeout=30) as http:

        def parse(text: str) -> dict:
            response = http.post("/model/parse", json={"text": text})
            response.raise_for_status()
            return response.json()

        result = fresh_set.run(parse, kb, fresh_set.load(path))
    misses = "\n".join(f"[{g}] {c.text} → {o} (expected {c.expected})" for g, c, o in result.misses)
    return result, misses


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_fresh_sets_of_december_2026(stack, name: str) -> None:
    result, misses = _fresh_set(stack, fresh_set.SETS[name])
    floors = FLOORS[name]
    figures = f"{result.line(name)}\n{misses}"
    assert result.oos_declined >= floors.oos_declined, figures
    assert result.numbers_wrong <= floors.numbers_wrong, figures
    assert result.top1 >= floors.top1, figures
    assert result.offered >= floors.offered, figures
    assert result.noise_declined >= floors.noise_declined, figures
    if floors.complaints_right is not None:
        assert result.complaints_right >= floors.complaints_right, figures
