"""Cheap offline FAQ experiments: seconds per run instead of a Rasa training.

The model of the Rasa pipeline's selector (nlu_components/linear_selector.py: a linear SVM
over the folded text's character 1-2-grams, log counts, L2-normalised, with the out-of-scope
questions as one more class) on the same split: trained phrasings against the held-out ones,
plus 5-fold cross-validation on the trained phrasings, so a change is not judged on one small
split. Its held-out top-1 is the Rasa model's before the threshold and DIET's out-of-scope
decisions (docs/faq.md); use it to compare features and data, then confirm the winner with
`make bench-nlu`. The pairs of entries most often confused in cross-validation are where
distinguishing words in the phrasings help most.

Needs scikit-learn, which only Rasa's environment has:

    .venv-rasa/bin/python -m bench.nlu_offline [--ngrams 1 2]
"""

import argparse
import collections
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from nlu_components.folding import fold

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


NONE = "~out_of_scope"


def load() -> tuple[list[str], list[str], list[str], list[str]]:
    """(trained texts, their entries, held-out texts, their entries), FAQ entries only."""
    trained, trained_ids, heldout, heldout_ids = [], [], [], []
    for path in sorted((KNOWLEDGE / "faq").glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            texts = list(entry["phrasings"])
            trained += texts
            trained_ids += [entry["id"]] * len(texts)
            heldout += entry["heldout"]
            heldout_ids += [entry["id"]] * len(entry["heldout"])
    return trained, trained_ids, heldout, heldout_ids


def load_out_of_scope() -> tuple[list[str], list[str]]:
    """(trained, held-out) out-of-scope questions."""
    data = yaml.safe_load((KNOWLEDGE / "out_of_scope.yml").read_text(encoding="utf-8"))
    return list(data["phrasings"]), list(data["heldout"])


def model(smallest: int, largest: int):
    features = TfidfVectorizer(
        analyzer="char",
        ngram_range=(smallest, largest),
        preprocessor=fold,
        sublinear_tf=True,
        use_idf=False,
    )
    return make_pipeline(features, LinearSVC(C=1.0, random_state=0, max_iter=10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ngrams", type=int, nargs=2, default=(1, 2), metavar=("MIN", "MAX"))
    args = parser.parse_args()
    trained, trained_ids, heldout, heldout_ids = load()
    outside, outside_heldout = load_out_of_scope()

    # As the selector: out-of-scope questions are one more class, never the answer.
    fitted = model(*args.ngrams).fit(trained + outside, trained_ids + [NONE] * len(outside))
    scores = fitted.decision_function(heldout)
    scores[:, list(fitted.classes_).index(NONE)] = -np.inf
    heldout_top1 = np.mean(fitted.classes_[scores.argmax(axis=1)] == np.array(heldout_ids))
    outside_none = np.mean(fitted.predict(outside_heldout) == NONE)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    predicted = cross_val_predict(model(*args.ngrams), trained, trained_ids, cv=folds)
    cv_top1 = np.mean(predicted == np.array(trained_ids))

    confused = collections.Counter(
        tuple(sorted(pair))
        for pair in zip(trained_ids, predicted, strict=True)
        if pair[0] != pair[1]
    )
    print("most confused entry pairs in cross-validation:")
    for (first, second), count in confused.most_common(15):
        print(f"  {count:>2}  {first} <-> {second}")
    print(
        f"offline: heldout_top1={heldout_top1:.3f} cv5_top1={cv_top1:.3f} "
        f"oos_heldout_as_none={outside_none:.3f} ngrams={args.ngrams[0]}-{args.ngrams[1]}"
    )


if __name__ == "__main__":
    main()
