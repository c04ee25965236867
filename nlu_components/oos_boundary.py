"""A learned in-scope / out-of-scope boundary: how far a question lies outside the FAQ (issue 17).

Six rounds of hand-written subject terms (knowledge/subjects.yml) fitted each tuning set and
left the next blind set at 0.90-0.92 of out-of-scope questions declined: a list of foreign
terms does not close an open set of topics. This scorer learns the boundary from examples
instead (measured leave-one-set-out in bench/oos_boundary.py, docs/faq.md "A learned boundary,
measured"): a logistic regression (class-balanced, C = 10) over the question's e5 embedding
(nlu_components/sentence_embedding.py, already computed for the selector), its character
1-2-grams (tf-idf) and its closeness to the nearest in-scope and out-of-scope examples.

In scope: the `faq` retrieval intent's trained phrasings. Out of scope: the `out_of_scope`
intent's phrasings and the boundary list (knowledge/out_of_scope.yml `boundary`, written by
stack/bot_data.py as the lookup table `oos_boundary`, which nothing else in the pipeline
reads: DIET and the selector do not learn it).

Every parse gets `oos_boundary: {score, clarify, decline}`: the score (the probability of out
of scope) and two thresholds set at training time from out-of-fold scores of the trained
phrasings: `clarify` is passed by 1% of them, `decline` by 0.2%. `understand`
(actions/faq/understanding.py) reads these three numbers, so the action server needs no numpy.

Stored as plain arrays and JSON (no pickle); scoring needs numpy and scipy, not scikit-learn,
and runs on one thread: about a millisecond of CPU beside the embedding's 20.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.code_fingerprint import OurCode
from nlu_components.folding import normalise

logger = logging.getLogger(__name__)

# The parse's key, and the lookup table stack/bot_data.py writes the boundary list into.
PROPERTY = "oos_boundary"
BOUNDARY_TABLE = "oos_boundary"
# As the selector weighs the embedding beside L2-normalised character n-grams (config.yml).
DENSE_WEIGHT = 1.5
# The nearest-neighbour features' weight beside them, and how many neighbours are averaged.
KNN_WEIGHT = 4.0
K = 5


@functools.cache
def one_blas_thread() -> None:
    """BLAS on one thread in this process, once: a parse's products are small, and threads
    would spin on the 2 shared cores instead of helping (threadpoolctl, in Rasa's lock)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def char_ngrams(text: str) -> list[str]:
    """The normalised text's character 1- and 2-grams."""
    folded = normalise(text)
    return [*folded, *(folded[i : i + 2] for i in range(len(folded) - 1))]


def neighbours(queries: np.ndarray, pool: np.ndarray, self_pool: bool = False) -> np.ndarray:
    """Nearest-neighbour cosine features against one pool: the closest and the mean of the K
    closest. A training row is not its own neighbour (`self_pool`), or its features would
    promise a closeness no new question has."""
    sims = queries @ pool.T
    if self_pool:
        np.fill_diagonal(sims, -1.0)
    k = min(K, pool.shape[0])
    top = -np.partition(-sims, k - 1, axis=1)[:, :k]
    return np.column_stack([top.max(axis=1), top.mean(axis=1)])


def passed_by(scores: Sequence[float], share: float) -> float:
    """The threshold that `share` of these in-scope scores reach: midway between the last
    spared score and the first caught one, so `>=` and `>` agree."""
    if not scores:
        raise ValueError("no in-scope scores to set a threshold on")
    ranked = sorted(scores)
    caught = math.floor(share * len(ranked))
    if caught == 0:
        return ranked[-1] + 1e-9
    return (ranked[-1 - caught] + ranked[-caught]) / 2


@dataclass
class BoundaryScorer:
    """Fits on (texts, e5 vectors) in scope and out of scope; scores P(out of scope).

    The flags choose the features (bench/oos_boundary.py measures each choice); the bot uses
    all three. Fitting needs scikit-learn; scoring only numpy and scipy.
    """

    name: str = "e5+ngrams+knn-lr"
    ngrams: bool = True  # character 1-2-grams (tf-idf) beside the embedding
    knn: bool = True  # nearest-neighbour closeness to in-scope and out-of-scope examples
    embedding: bool = True  # the 384 numbers themselves
    # Chosen once on the leave-one-set-out mean among 0.3-100 (10 and above are a plateau:
    # 0.935-0.940 for e5+ngrams+knn, 0.915 at 1), and kept for every candidate.
    C: float = 10.0
    inside: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    outside: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    intercept: float = 0.0

    def _tfidf(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        """Sublinear tf-idf of the known n-grams, rows L2-normalised (scikit-learn's
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True))."""
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            counts = Counter(g for g in char_ngrams(text) if g in self.vocabulary)
            weights = {self.vocabulary[g]: (1.0 + math.log(n)) for g, n in counts.items()}
            weights = {c: w * float(self.idf[c]) for c, w in weights.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for column, weight in weights.items():
                rows.append(row)
                cols.append(column)
                values.append(weight / norm)
        return scipy.sparse.csr_matrix(
            (values, (rows, cols)), shape=(len(texts), len(self.vocabulary)), dtype=np.float32
        )

    def _features(self, texts: Sequence[str], vectors: np.ndarray, training: bool = False) -> Any:
        parts: list[Any] = []
        if self.embedding:
            parts.append(DENSE_WEIGHT * vectors)
        if self.knn:
            if training:
                # Rows are the in-scope examples, then the out-of-scope ones: each skips itself.
                n_in = len(self.inside)
                inside = np.vstack([neighbours(vectors[:n_in], self.inside, self_pool=True),
                                    neighbours(vectors[n_in:], self.inside)])
                outside = np.vstack([neighbours(vectors[:n_in], self.outside),
                                     neighbours(vectors[n_in:], self.outside, self_pool=True)])
            else:
                inside = neighbours(vectors, self.inside)
                outside = neighbours(vectors, self.outside)
            parts.append(KNN_WEIGHT * np.column_stack([inside, outside, outside - inside]))
        if self.ngrams:
            parts.append(self._tfidf(texts))
        if any(scipy.sparse.issparse(p) for p in parts):
            return scipy.sparse.hstack([scipy.sparse.csr_matrix(p) for p in parts]).tocsr()
        return np.hstack(parts)

    def fit(self, inside: Sequence[str], outside: Sequence[str],
            v_in: np.ndarray, v_out: np.ndarray) -> BoundaryScorer:
        from sklearn.linear_model import LogisticRegression  # training only

        self.inside = np.asarray(v_in, dtype=np.float32)
        self.outside = np.asarray(v_out, dtype=np.float32)
        texts = [*inside, *outside]
        if self.ngrams:
            documents = [set(char_ngrams(t)) for t in texts]
            frequency = Counter(g for grams in documents for g in grams)
            self.vocabulary = {g: i for i, g in enumerate(sorted(frequency))}
            # Smoothed idf, as scikit-learn's: ln((1 + n) / (1 + df)) + 1.
            self.idf = np.array([math.log((1 + len(texts)) / (1 + frequency[g])) + 1
                                 for g in sorted(frequency)], dtype=np.float32)
        labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
        features = self._features(texts, np.vstack([self.inside, self.outside]), training=True)
        model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        model.fit(features, labels)
        self.coef = model.coef_[0].astype(np.float32)
        self.intercept = float(model.intercept_[0])
        return self

    def score(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """P(out of scope) per question."""
        margin = self._features(texts, np.asarray(vectors, dtype=np.float32)) @ self.coef
        return 1.0 / (1.0 + np.exp(-(np.asarray(margin).ravel() + self.intercept)))

    def save(self, directory: Path) -> None:
        for name in ("inside", "outside", "idf", "coef"):
            np.save(directory / f"{name}.npy", getattr(self, name))
        state = {"name": self.name, "ngrams": self.ngrams, "knn": self.knn,
                 "embedding": self.embedding, "C": self.C, "intercept": self.intercept,
                 "vocabulary": sorted(self.vocabulary, key=self.vocabulary.__getitem__)}
        (directory / "state.json").write_text(json.dumps(state, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path) -> BoundaryScorer:
        state = json.loads((directory / "state.json").read_text("utf-8"))
        vocabulary = {g: i for i, g in enumerate(state.pop("vocabulary"))}
        arrays = {name: np.load(directory / f"{name}.npy")
                  for name in ("inside", "outside", "idf", "coef")}
        return cls(**state, **arrays, vocabulary=vocabulary)


def out_of_fold(inside: Sequence[str], outside: Sequence[str], v_in: np.ndarray,
                v_out: np.ndarray, folds: int, make: type[BoundaryScorer] = BoundaryScorer,
                **options: Any) -> np.ndarray:
    """Each in-scope example's score by a scorer trained without its fold (every out-of-scope
    example always trained): what a new in-scope question would score, for the thresholds."""
    scores = np.zeros(len(inside), dtype=np.float64)
    positions = np.arange(len(inside))
    for fold in range(folds):
        held = positions % folds == fold  # interleaved: an entry's phrasings spread over folds
        kept = [t for t, h in zip(inside, held, strict=True) if not h]
        scorer = make(**options).fit(kept, outside, v_in[~held], v_out)
        scores[held] = scorer.score([t for t, h in zip(inside, held, strict=True) if h],
                                    v_in[held])
    return scores


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class OutOfScopeBoundary(OurCode, GraphComponent):
    """Adds `oos_boundary: {score, clarify, decline}` to every parse (see the module doc)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "faq",
            "none_intents": ["out_of_scope"],
            # The sentence embedding's featurizer (its alias in config.yml).
            "dense_featurizers": ["e5"],
            "C": 10.0,
            # Out-of-fold scores of the trained phrasings set the thresholds.
            "folds": 5,
            # Share of in-scope phrasings at or above each threshold.
            "clarify_share": 0.01,
            "decline_share": 0.002,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 scorer: BoundaryScorer | None = None, clarify: float = 1.0,
                 decline: float = 1.0) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.scorer = scorer
        self.clarify = clarify
        self.decline = decline

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> OutOfScopeBoundary:
        return cls(config, model_storage, resource)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0 < config["decline_share"] <= config["clarify_share"] < 1:
            raise ValueError("OutOfScopeBoundary needs 0 < decline_share <= clarify_share < 1")

    def _vectors(self, messages: Sequence[Message]) -> np.ndarray | None:
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, self._config["dense_featurizers"])
            if sentence is None:
                return None
            rows.append(np.asarray(sentence.features, dtype=np.float32).reshape(-1))
        return np.vstack(rows) if rows else None

    def train(self, training_data: TrainingData) -> Resource:
        from nlu_components.sentence_embedding import embed_training, prepare

        def of(intents: Sequence[str]) -> list[Message]:
            return [m for m in training_data.intent_examples
                    if m.get(INTENT) in intents and m.get(TEXT)]

        inside, outside = of([self._config["retrieval_intent"]]), of(self._config["none_intents"])
        v_in, v_out = self._vectors(inside), self._vectors(outside)
        if v_in is None or v_out is None:
            logger.warning("OutOfScopeBoundary: no in-scope or out-of-scope examples with "
                           "sentence features, not trained.")
            return self._resource
        boundary = [str(t) for table in training_data.lookup_tables
                    if table.get("name") == BOUNDARY_TABLE for t in table.get("elements") or []]
        texts_out = [m.get(TEXT) for m in outside] + boundary
        if boundary:
            v_out = np.vstack([v_out, embed_training([prepare(t) for t in boundary])])
        texts_in = [m.get(TEXT) for m in inside]
        one_blas_thread()
        scores = out_of_fold(texts_in, texts_out, v_in, v_out, self._config["folds"],
                             C=self._config["C"])
        self.scorer = BoundaryScorer(C=self._config["C"]).fit(texts_in, texts_out, v_in, v_out)
        self.clarify = passed_by(scores.tolist(), self._config["clarify_share"])
        self.decline = max(passed_by(scores.tolist(), self._config["decline_share"]), self.clarify)
        logger.info(f"OutOfScopeBoundary: {len(texts_in)} in scope, {len(texts_out)} out of "
                    f"scope ({len(boundary)} boundary); clarify >= {self.clarify:.3f}, "
                    f"decline >= {self.decline:.3f}")
        with self._model_storage.write_to(self._resource) as directory:
            self.scorer.save(directory)
            (directory / "thresholds.json").write_text(
                json.dumps({"clarify": self.clarify, "decline": self.decline}), "utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> OutOfScopeBoundary:
        try:
            with model_storage.read_from(resource) as directory:
                scorer = BoundaryScorer.load(directory)
                thresholds = json.loads((directory / "thresholds.json").read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("OutOfScopeBoundary: not trained, scores nothing.")
            return cls(config, model_storage, resource)
        one_blas_thread()
        return cls(config, model_storage, resource, scorer, thresholds["clarify"],
                   thresholds["decline"])

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        if self.scorer is None or not todo:
            return messages
        vectors = self._vectors(todo)
        if vectors is None or vectors.shape[1] != self.scorer.inside.shape[1]:
            return messages
        scores = self.scorer.score([m.get(TEXT) for m in todo], vectors)
        for message, score in zip(todo, scores, strict=True):
            message.set(PROPERTY, {"score": round(float(score), 6), "clarify": self.clarify,
                                   "decline": self.decline}, add_to_output=True)
        return messages
