"""A linear response selector: which FAQ entry a question asks, from its character n-grams.

Rasa's ResponseSelector trains a small neural network (an embedding of the sparse features and
a similarity softmax with sampled negatives, 40 epochs). On the FAQ's held-out phrasings it
lagged a plain linear SVM over the same features by 2-3 points, its confidences cost another
point or two at a threshold that turns away out-of-scope questions, it took most of the
training time, and each training gave slightly different figures. This component fits a
one-vs-rest linear SVM (scikit-learn's LinearSVC, in Rasa's environment already) on the
sentence features of the configured featurizers, in a few seconds and deterministically.

The out-of-scope questions are trained as one more class (`none_intents`), which is left out of
the ranking: a question that looks more like them than like any entry gets a low confidence
for every entry, so the bot admits doubt instead of answering. Confidences are a softmax over
the SVM's decision values (entries and that class) divided by a temperature: the values are
margins (about -1 for a clear "no", around +1 for a clear "yes"), and a temperature of 0.1
turns a lead of 0.2 over the runner-up into a confidence of about 0.88 against it.

It writes the same `response_selector` parse output as Rasa's ResponseSelector (prediction
with `intent_response_key`, a ranking of the best entries), so the action server, Rasa's
e2e test stories and the processor's full retrieval intent work unchanged. The weights are
stored as plain arrays (no pickle); prediction is a sparse matrix product.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.code_fingerprint import OurCode

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npy"
BIAS_FILE = "bias.npy"
LABELS_FILE = "labels.json"
# The label of the none_intents' examples (an intent response key always has a "/").
NONE_LABEL = "none"

# The keys of Rasa's response selector output (rasa.nlu.selectors.response_selector).
PROPERTY = "response_selector"
RETRIEVAL_INTENTS = "all_retrieval_intents"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(OurCode, GraphComponent):
    """Linear SVM over sparse sentence features, answering one retrieval intent's keys."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "faq",
            # Names (aliases) of the featurizers whose sentence features are used; all if empty.
            "featurizers": [],
            # Dense featurizers (a sentence embedding, nlu_components/sentence_embedding.py) whose
            # sentence features are appended, scaled by dense_weight against the L2-normalised
            # n-grams; none if empty.
            "dense_featurizers": [],
            "dense_weight": 1.0,
            # Intents trained as a "none of the entries" class, never ranked.
            "none_intents": ["out_of_scope"],
            # SVM regularisation: 1.0 did best in 5-fold cross-validation on the phrasings.
            "C": 1.0,
            # Softmax temperature over the decision values (see the module docstring).
            "temperature": 0.1,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.weights = weights
        self.bias = bias
        self.labels = labels or []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearResponseSelector:
        return cls(config, model_storage, resource)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config["C"] <= 0 or config["temperature"] <= 0:
            raise ValueError("LinearResponseSelector needs a positive C and temperature")

    def _features(self, messages: list[Message]) -> scipy.sparse.csr_matrix | None:
        rows = []
        dense_names = self._config["dense_featurizers"]
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT, self._config["featurizers"])
            if sentence is None:
                return None
            row = scipy.sparse.csr_matrix(sentence.features)
            if dense_names:
                _, dense = message.get_dense_features(TEXT, dense_names)
                if dense is None:
                    return None
                weighted = np.asarray(dense.features, dtype=np.float32).reshape(1, -1)
                row = scipy.sparse.hstack([row, weighted * self._config["dense_weight"]])
            rows.append(scipy.sparse.csr_matrix(row))
        return scipy.sparse.vstack(rows).tocsr() if rows else None

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.svm import LinearSVC  # training only: loading needs no scikit-learn

        intent = self._config["retrieval_intent"]
        examples = [
            m
            for m in training_data.intent_examples
            if m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
        ]
        keys = [m.get(INTENT_RESPONSE_KEY) for m in examples]
        if not examples:
            logger.warning(f"LinearResponseSelector: no examples of '{intent}', not trained.")
            return self._resource
        negatives = [
            m
            for m in training_data.intent_examples
            if m.get(INTENT) in self._config["none_intents"] and m.get(TEXT)
        ]
        examples += negatives
        keys += [NONE_LABEL] * len(negatives)
        features = self._features(examples)
        if features is None:
            logger.warning(f"LinearResponseSelector: no features for '{intent}', not trained.")
            return self._resource
        svm = LinearSVC(C=self._config["C"], random_state=0, max_iter=10_000).fit(features, keys)
        self.labels = [str(label) for label in svm.classes_]
        self.weights = svm.coef_.astype(np.float32)
        self.bias = svm.intercept_.astype(np.float32)
        if len(self.labels) == 2:  # scikit-learn keeps one row for two classes
            self.weights = np.vstack([-self.weights, self.weights])
            self.bias = np.concatenate([-self.bias, self.bias])
        with self._model_storage.write_to(self._resource) as directory:
            np.save(directory / WEIGHTS_FILE, self.weights)
            np.save(directory / BIAS_FILE, self.bias)
            (directory / LABELS_FILE).write_text(json.dumps(self.labels), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearResponseSelector:
        try:
            with model_storage.read_from(resource) as directory:
                weights = np.load(directory / WEIGHTS_FILE)
                bias = np.load(directory / BIAS_FILE)
                labels = json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("LinearResponseSelector: no trained weights, selects nothing.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, weights, bias, labels)

    def confidences(self, features: scipy.sparse.csr_matrix) -> np.ndarray:
        """One row per message: a softmax over the labels of the tempered decision values."""
        scores = features @ self.weights.T + self.bias
        scores = np.asarray(scores) / self._config["temperature"]
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return exponentials / exponentials.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.weights is None or not messages:
            return messages
        features = self._features(messages)
        if features is None or features.shape[1] != self.weights.shape[1]:
            return messages
        intent = self._config["retrieval_intent"]
        for message, row in zip(messages, self.confidences(features), strict=True):
            order = [i for i in np.argsort(-row) if self.labels[i] != NONE_LABEL]
            ranking = [
                {"id": int(i), "confidence": float(row[i]), INTENT_RESPONSE_KEY: self.labels[i]}
                for i in order[: max(self._config["ranking_length"], 1)]
            ]
            best = ranking[0]
            prediction = {
                "response": {
                    "responses": [{TEXT: best[INTENT_RESPONSE_KEY]}],
                    "confidence": best["confidence"],
                    INTENT_RESPONSE_KEY: best[INTENT_RESPONSE_KEY],
                    "utter_action": f"utter_{best[INTENT_RESPONSE_KEY]}",
                },
                "ranking": ranking,
            }
            selector = dict(message.get(PROPERTY) or {})
            selector[RETRIEVAL_INTENTS] = [intent]
            selector[intent] = prediction
            message.set(PROPERTY, selector, add_to_output=True)
        return messages
