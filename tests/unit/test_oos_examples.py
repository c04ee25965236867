"""The learned boundary's examples and honest split (bench/oos_examples.py, issue 17), and
today's outcome word (bench/oos_today.py): the bench's figures are only as honest as these."""

import json
import subprocess

import pytest

from actions.faq import fresh_set, knowledge
from bench import oos_examples
from bench.oos_examples import Examples, SetQuestions, leave_one_set_out, share_above, threshold
from bench.oos_today import outcome
from stack.paths import RASA_VENV, ROOT
from tests.faq_fixtures import parse, small_kb


def test_the_threshold_declines_at_most_the_allowed_share_and_no_more_than_needed() -> None:
    scores = [i / 1000 for i in range(1000)]
    limit = threshold(scores, 0.01)
    assert share_above(scores, limit) == 0.01  # 10 of 1000 above: the lowest such threshold
    assert threshold(scores, 0.0) == max(scores)  # nothing declined
    assert share_above([0.1, 0.9], threshold([0.1, 0.9], 0.01)) == 0.0  # 1% of 2 is none
    with pytest.raises(ValueError):
        threshold([])


def test_ties_at_the_threshold_are_spared_not_declined() -> None:
    scores = [0.5] * 50 + [0.1] * 50
    assert share_above(scores, threshold(scores, 0.1)) == 0.0


def _examples() -> Examples:
    return Examples(
        trained=("卡介质密码", "额度查询"),
        heldout=("卡介质密码忘了",),
        fresh=("额度怎么查",),
        negatives=("天气",),
        sets={
            "a": SetQuestions(out_of_scope=("社保卡丢了",), in_scope=("卡介质锁了",)),
            "b": SetQuestions(out_of_scope=("花呗额度", "社保卡丢了！"), in_scope=("额度剩多少",),
                              answerable=("税单 123 打印",)),
        },
    )


def test_each_fold_trains_without_its_set_and_without_near_copies_of_it() -> None:
    folds = {fold.scored: fold for fold in leave_one_set_out(_examples())}
    assert set(folds) == {"a", "b"}
    a = folds["a"]
    assert a.test_out == ("社保卡丢了",) and a.test_in == ("卡介质锁了",)
    assert a.train_in == ("卡介质密码", "额度查询", "额度剩多少")
    # b's "社保卡丢了！" is a's question once punctuation is folded: not trained on.
    assert a.train_out == ("天气", "花呗额度")
    assert a.calibrate == ("卡介质密码忘了",)
    b = folds["b"]
    assert b.train_in == ("卡介质密码", "额度查询", "卡介质锁了")
    assert b.train_out == ("天气",)
    assert b.test_answerable == ("税单 123 打印",)


def test_a_forward_fold_trains_on_the_earlier_sets_alone() -> None:
    folds = {fold.scored: fold for fold in leave_one_set_out(_examples(), earlier_only=True)}
    assert folds["a"].train_in == ("卡介质密码", "额度查询")  # nothing was written before a
    assert folds["a"].train_out == ("天气",)
    assert folds["b"].train_in == ("卡介质密码", "额度查询", "卡介质锁了")


def test_the_files_read_as_the_project_reads_them() -> None:
    kb = knowledge.default()
    examples = oos_examples.load()
    assert examples.trained == tuple(p for e in _by_file(kb) for p in e.phrasings)
    assert examples.heldout == tuple(p for e in _by_file(kb) for p in e.heldout)
    assert examples.fresh == tuple(p for e in _by_file(kb) for p in e.fresh)
    declined = kb.out_of_scope
    assert examples.negatives == (*declined.phrasings, *declined.heldout, *declined.fresh)
    paths = {**fresh_set.SETS, "f": fresh_set.SET_F_PATH}
    assert set(examples.sets) == set(paths) == set("abcdef")  # never the seventh, blind set
    for letter, path in paths.items():
        fresh = fresh_set.load(path)
        questions = examples.sets[letter]
        assert questions.out_of_scope == tuple(c.text for c in fresh.out_of_scope)
        assert questions.in_scope == tuple(c.text for c in fresh.in_scope)
        assert questions.answerable == tuple(
            c.text for c in (*fresh.numbers, *fresh.complaints) if c.expected)


def _by_file(kb: knowledge.KnowledgeBase) -> list[knowledge.Entry]:
    """Entries in the order of their files' names, as the bench reads them."""
    return sorted(kb.entries, key=lambda e: e.category)


def test_today_counts_an_answer_a_clarification_and_a_decline() -> None:
    kb = small_kb()
    assert outcome(parse("额度问题", [("cbec_quota", 0.9)]), kb) == "answered"
    assert outcome(parse("额度问题", [("cbec_quota", 0.2), ("cbec_tax", 0.1)]), kb) == "not_sure"
    assert outcome(parse("天气问题", [("card_password", 0.1)], "out_of_scope"), kb) == "declined"


NEIGHBOURS_PROBE = """
import json
import numpy as np
from nlu_components.oos_boundary import K, neighbours
pool = np.eye(K + 1, dtype=np.float32)
print(json.dumps({
    "self": neighbours(pool, pool, self_pool=True).tolist(),
    "other": neighbours(pool[:1], pool).tolist(),
}))
"""


def test_a_training_row_is_not_its_own_nearest_neighbour() -> None:
    """In Rasa's environment (numpy), where the bench runs: with orthogonal rows, a row's
    closest other row is at cosine 0, while a new question equal to a row is at 1."""
    result = subprocess.run([str(RASA_VENV / "bin" / "python"), "-c", NEIGHBOURS_PROBE],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    found = json.loads(result.stdout)
    assert all(row == [0.0, 0.0] for row in found["self"])
    assert found["other"][0][0] == 1.0
