"""FAQ accuracy on held-out phrasings, through the real model: a regression fails CI.

The same scoring as bench/nlu.py (which also sweeps thresholds and times parsing). The issue's
targets are held-out top-1 >= 0.90 and out-of-scope rejection >= 0.80 (docs/faq.md has the
figures); the floors below are the last measured level minus a margin for training noise (the
FAQ selector is deterministic, DIET's out-of-scope decisions vary a little between trainings).
Raise them as the model improves; never lower them.
"""

import httpx
import pytest

from actions.faq import knowledge
from actions.faq.evaluation import cases, collect, score
from tests.e2e.conftest import RASA_TOKEN

pytestmark = pytest.mark.e2e

HELDOUT_TOP1_FLOOR = 0.90  # measured 0.916 with the linear SVM selector (0.865 before)
OOS_REJECT_FLOOR = 0.91  # measured 0.943 (0.900 before)
# Answering with the wrong entry is worse than admitting doubt: at most this share of
# in-scope held-out questions may get a wrong answer (measured 34 of 475, 7.2%; 55 before).
WRONG_ANSWER_CEILING = 0.09


def test_heldout_accuracy_and_out_of_scope_rejection(stack) -> None:
    kb = knowledge.default()
    with httpx.Client(base_url=stack.rasa_url, params={"token": RASA_TOKEN}, timeout=30) as http:

        def parse(text: str) -> dict:
            response = http.post("/model/parse", json={"text": text})
            response.raise_for_status()
            return response.json()

        result = score(collect(parse, cases(kb)), kb)
    in_scope = sum(len(e.heldout) for e in kb.entries)
    misses = "\n".join(f"{c.text} → {o} (expected {c.expected})" for c, o in result.misses)
    assert result.heldout_top1 >= HELDOUT_TOP1_FLOOR, misses
    assert result.oos_reject >= OOS_REJECT_FLOOR, misses
    assert result.wrong_answers <= WRONG_ANSWER_CEILING * in_scope, misses
