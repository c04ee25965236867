"""Cheap offline FAQ experiments: seconds per run instead of a Rasa training.

A linear model over the same features as the Rasa pipeline (nlu_components: folded text,
character 1-2-grams, log counts, L2-normalised) on the same split: trained phrasings against
the held-out ones, plus 5-fold cross-validation
on the trained phrasings, so a change is not judged on one small split. Its figures track the
Rasa model's raw top-1 (docs/faq.md); use it to compare features and data, then confirm the
winner with `make bench-nlu`. The pairs of entries most often confused in cross-validation are
where distinguishing words in the phrasings help most.

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


def model(smallest: int, largest: int):
    features = TfidfVectorizer(
        analyzer="char",
        ngram_range=(smallest, largest),
        preprocessor=fold,
        sublinear_tf=True,
        use_idf=False,
    )
    return make_pipeline(features, LinearSVC(C=1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ngrams", type=int, nargs=2, default=(1, 2), metavar=("MIN", "MAX"))
    args = parser.parse_args()
    trained, trained_ids, heldout, heldout_ids = load()

    fitted = model(*args.ngrams).fit(trained, trained_ids)
    heldout_top1 = np.mean(fitted.predict(heldout) == np.array(heldout_ids))
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
        f"ngrams={args.ngrams[0]}-{args.ngrams[1]}"
    )


if __name__ == "__main__":
    main()
