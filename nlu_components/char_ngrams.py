"""Character n-grams over the whole message, independent of how jieba segments it.

Rasa's CountVectorsFeaturizer computes character n-grams inside each jieba token, so a
question segmented differently from the training phrasings (登陆 split as 登/陆, a typo, a
word jieba does not know) shares few features with them. Here the message is first folded
(nlu_components/folding.py: width, case, punctuation, traditional characters, common typos
such as 登陆→登录) and its character 1-2-grams are counted over the whole folded text.
Counts are log-scaled and L2-normalised, so long and short questions weigh alike. On the
FAQ's held-out phrasings this generalises better than longer n-grams or word features
(docs/faq.md has the comparison).

Sentence features describe the whole message; sequence features give each token the n-grams
of its own characters, so the components downstream see one row per token as usual.

Runs inside Rasa's environment (Python 3.10, numpy and scipy from requirements/rasa.lock; no
new dependency).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from nlu_components.code_fingerprint import OurCode
from nlu_components.folding import fold, ngrams

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class CharNgramFeaturizer(OurCode, SparseFeaturizer, GraphComponent):
    """Log-scaled character n-gram counts of the folded message, of a fixed length (scale)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "min_ngram": 1,
            "max_ngram": 2,
            # n-grams seen in fewer training messages are left out of the vocabulary.
            "min_count": 1,
            # Length of each feature vector. 5 (about the length of a short question's raw
            # counts) neither sharpened the selector's confidences nor helped its accuracy.
            "scale": 1.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        SparseFeaturizer.__init__(self, execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary: dict[str, int] = vocabulary or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CharNgramFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 1 <= config["min_ngram"] <= config["max_ngram"]:
            raise ValueError("CharNgramFeaturizer needs 1 <= min_ngram <= max_ngram")
        if config["scale"] <= 0:
            raise ValueError("CharNgramFeaturizer needs a positive scale")

    def _grams(self, text: str) -> list[str]:
        return ngrams(fold(text), self._config["min_ngram"], self._config["max_ngram"])

    def train(self, training_data: TrainingData) -> Resource:
        seen: dict[str, int] = {}
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if text:
                for gram in set(self._grams(text)):
                    seen[gram] = seen.get(gram, 0) + 1
        kept = sorted(g for g, n in seen.items() if n >= self._config["min_count"])
        self.vocabulary = {gram: index for index, gram in enumerate(kept)}
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / VOCABULARY_FILE, self.vocabulary)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CharNgramFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = read_json_file(directory / VOCABULARY_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("CharNgramFeaturizer: no trained vocabulary, features will be empty.")
            vocabulary = None
        return cls(config, model_storage, resource, execution_context, vocabulary)

    def _rows(self, texts: list[str]) -> scipy.sparse.coo_matrix:
        rows, columns, values = [], [], []
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in self._grams(text):
                index = self.vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            weights = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))
            weights *= self._config["scale"] / np.linalg.norm(weights)
            rows += [row] * len(counts)
            columns += list(counts)
            values += weights.tolist()
        return scipy.sparse.coo_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)),
            shape=(len(texts), max(len(self.vocabulary), 1)),
        )

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens or not self.vocabulary:
            return
        sequence = self._rows([token.text for token in tokens])
        sentence = self._rows([message.get(TEXT)])
        self.add_features_to_message(sequence, sentence, TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._featurize(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages
