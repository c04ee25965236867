"""The examples of a learned in-scope / out-of-scope boundary, and its honest split (issue 17).

Why a module of its own, with nothing but the standard library and yaml: the measuring bench
(bench/oos_boundary.py) runs in Rasa's environment (numpy, scikit-learn, the bundled sentence
embedding) where the project's knowledge loader does not import (it needs pydantic 2), while
the unit tests run in the application's. The files are read directly; a unit test checks that
this reading agrees with `actions.faq.knowledge` and `actions.faq.fresh_set`.

Leave-one-set-out: six rounds of subject terms each fitted their tuning set to 1.000 and the
next blind set stayed at 0.90-0.92, so a scorer is only measured on a December set whose
questions (and near-duplicates by normalised text) it was neither trained nor calibrated on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu_components.folding import normalise

KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "knowledge"
# The December sets that may be read (a-f). The seventh (g) is being written blind: never here.
SET_FILES = {
    "a": "fresh_2026_12.yml",
    "b": "fresh_2026_12b.yml",
    "c": "fresh_2026_12c.yml",
    "d": "fresh_2026_12d.yml",
    "e": "fresh_2026_12e.yml",
    "f": "fresh_2026_12f.yml",
}
# At most this share of in-scope questions (held-out phrasings) may be declined by a scorer.
MAX_INSCOPE_DECLINED = 0.01


@dataclass(frozen=True)
class SetQuestions:
    """One December set's questions that are plainly in or out of scope (numbers, noise and
    complaints are other rules' business and left out)."""

    out_of_scope: tuple[str, ...]
    in_scope: tuple[str, ...]
    # Number-bearing questions and complaints that an entry answers: never trained on here,
    # they measure what a scorer would wrongly decline among the questions other rules read.
    answerable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Examples:
    trained: tuple[str, ...]  # the entries' trained phrasings: in scope, always trained on
    heldout: tuple[str, ...]  # the entries' held-out phrasings: the threshold's calibration
    fresh: tuple[str, ...]  # the entries' fresh phrasings: in scope, never trained nor calibrated
    negatives: tuple[str, ...]  # knowledge/out_of_scope.yml, every list: always trained on
    sets: dict[str, SetQuestions]


def load(folder: Path = KNOWLEDGE_DIR, sets: Sequence[str] = tuple(SET_FILES)) -> Examples:
    """Every example from the knowledge base and the December sets a-f."""
    entries = [
        entry
        for path in sorted((folder / "faq").glob("*.yml"))
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []
    ]

    def texts(key: str) -> tuple[str, ...]:
        return tuple(str(t) for entry in entries for t in entry.get(key) or ())

    declined = yaml.safe_load((folder / "out_of_scope.yml").read_text(encoding="utf-8"))
    negatives = tuple(str(t) for key in ("phrasings", "heldout", "fresh")
                      for t in declined.get(key) or ())
    by_set = {}
    for letter in sets:
        raw = yaml.safe_load((folder / "evaluation" / SET_FILES[letter]).read_text("utf-8"))
        by_set[letter] = SetQuestions(
            out_of_scope=tuple(str(t) for t in raw["out_of_scope"]),
            in_scope=tuple(str(t) for texts_ in raw["in_scope"].values() for t in texts_),
            answerable=tuple(str(item["text"]) for key in ("numbers", "complaints")
                             for item in raw[key] if item.get("expected")),
        )
    return Examples(texts("phrasings"), texts("heldout"), texts("fresh"), negatives, by_set)


@dataclass(frozen=True)
class Fold:
    """Train on `train_in` / `train_out`, set the threshold on `calibrate`, score the rest."""

    scored: str  # the set left out
    train_in: tuple[str, ...]
    train_out: tuple[str, ...]
    calibrate: tuple[str, ...]
    test_out: tuple[str, ...]  # the left-out set's out-of-scope questions
    test_in: tuple[str, ...]  # the left-out set's in-scope questions
    test_answerable: tuple[str, ...]  # its number-bearing questions and complaints with an entry


def leave_one_set_out(examples: Examples, earlier_only: bool = False) -> Iterator[Fold]:
    """One fold per December set: the other sets' questions join the training examples.

    A training example whose normalised text is also a question of the scored set is dropped
    (the early sets were not checked for overlap with each other), so no fold sees its answers.
    `earlier_only`: only the sets written before the scored one are trained on (none for the
    first), as a seventh set will be scored by a scorer trained on a-f: later sets spread their
    topics on purpose beyond earlier ones, which a fold trained on them would not face.
    """
    letters = list(examples.sets)
    for position, (scored, questions) in enumerate(examples.sets.items()):
        unseen = {normalise(t) for t in (*questions.out_of_scope, *questions.in_scope)}
        chosen = letters[:position] if earlier_only else [x for x in letters if x != scored]
        others = [examples.sets[letter] for letter in chosen]

        def keep(texts: Sequence[str], unseen: set[str] = unseen) -> tuple[str, ...]:
            return tuple(t for t in texts if normalise(t) not in unseen)

        yield Fold(
            scored=scored,
            train_in=keep([*examples.trained, *(t for q in others for t in q.in_scope)]),
            train_out=keep([*examples.negatives, *(t for q in others for t in q.out_of_scope)]),
            calibrate=keep(examples.heldout),
            test_out=questions.out_of_scope,
            test_in=questions.in_scope,
            test_answerable=questions.answerable,
        )


def threshold(scores: Sequence[float], max_declined: float = MAX_INSCOPE_DECLINED) -> float:
    """The lowest threshold that declines (score > threshold) at most `max_declined` of these
    in-scope scores: every out-of-scope question above it is declined, so lower is better as
    long as in-scope questions are spared."""
    if not scores:
        raise ValueError("no in-scope scores to calibrate on")
    ranked = sorted(scores)
    allowed = math.floor(max_declined * len(ranked))
    return ranked[len(ranked) - 1 - allowed]


def share_above(scores: Sequence[float], limit: float) -> float:
    """The share of scores above the threshold: the questions a scorer declines."""
    return sum(score > limit for score in scores) / len(scores) if scores else 0.0
