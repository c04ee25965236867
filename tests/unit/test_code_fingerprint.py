"""Rasa's training cache sees our code (nlu_components/code_fingerprint.py): a retraining after a
change to how messages are masked, stripped or folded computes every feature anew."""

import shutil
from pathlib import Path

from nlu_components import code_fingerprint as fingerprint
from tests.support.rasa_env import in_rasa

PROBE = """
import json
from rasa.engine.training.fingerprinting import calculate_fingerprint_key
from nlu_components import code_fingerprint as fingerprint
from nlu_components.char_ngrams import CharNgramFeaturizer
from nlu_components.linear_selector import LinearResponseSelector
from nlu_components.oos_boundary import OutOfScopeBoundary
from nlu_components.sentence_embedding import SentenceEmbeddingFeaturizer
components = [CharNgramFeaturizer, SentenceEmbeddingFeaturizer, OutOfScopeBoundary,
              LinearResponseSelector]
ours = [c.fingerprint_addon({}) == fingerprint.code_fingerprint() for c in components]
before = [calculate_fingerprint_key(c, {}, {}) for c in components]
fingerprint.code_fingerprint.cache_clear()
fingerprint.KERNEL_SOURCES = ("kernel/numbers.py",)  # as if the masks were other code
after = [calculate_fingerprint_key(c, {}, {}) for c in components]
print(json.dumps({"ours": ours, "changed": [a != b for a, b in zip(before, after)]}))
"""


def test_every_component_of_ours_is_fingerprinted_with_our_code() -> None:
    result = in_rasa(PROBE)
    assert result["ours"] == [True] * 4
    assert result["changed"] == [True] * 4


def test_the_fingerprint_follows_the_masks_and_the_components(tmp_path: Path) -> None:
    for path in fingerprint.sources():
        copy = tmp_path / path.relative_to(fingerprint.ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)
    first = fingerprint.code_fingerprint(tmp_path)
    assert fingerprint.code_fingerprint(tmp_path) == first
    numbers = tmp_path / "kernel" / "numbers.py"
    numbers.write_text(numbers.read_text() + "\n# another mask\n")
    fingerprint.code_fingerprint.cache_clear()
    second = fingerprint.code_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "nlu_components" / "folding.py").write_text("# other folding\n")
    fingerprint.code_fingerprint.cache_clear()
    assert fingerprint.code_fingerprint(tmp_path) not in (first, second)
