"""The selector's second view (nlu_components/sentence_embedding.py), in Rasa's environment.

The featurizer runs inside Rasa (Python 3.10), so these checks run there as a subprocess: the
bundled model loads without downloading anything, numbers and complaint words do not move the
embedding, and a paraphrase lies nearer its question than a look-alike about something else.
"""

import json

from tests.support.rasa_env import in_rasa

PROBE = """
import json, sys, time
import rasa.engine.recipes.default_recipe  # loads scikit-learn's OpenMP first, as Rasa does
from nlu_components.sentence_embedding import _query, prepare
texts = json.loads(sys.argv[1])
vectors = _query([prepare(t) for t in texts])
start = time.process_time()
for _ in range(10):
    _query(["卡介质密码忘了怎么办，我试了好几次都不对"])
milliseconds = (time.process_time() - start) * 100
print(json.dumps({"vectors": vectors.tolist(), "cpu_ms": milliseconds}))
"""


def _probe(texts: list[str]) -> dict:
    return in_rasa(PROBE, json.dumps(texts))


def _embed(texts: list[str]) -> list[list[float]]:
    return _probe(texts)["vectors"]


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # the vectors are L2-normalised


def test_numbers_and_complaint_words_do_not_move_the_embedding() -> None:
    one, other, complaint, plain = _embed(
        [
            "报关单 010220250000000071 能打印吗",
            "报关单 120120250000456789 能打印吗",
            "垃圾系统，法人卡锁了怎么解锁",
            "法人卡锁了怎么解锁",
        ]
    )
    assert len(one) == 384
    assert _cosine(one, other) > 0.999
    assert _cosine(complaint, plain) > 0.999


def test_a_paraphrase_is_nearer_than_a_look_alike() -> None:
    question, paraphrase, look_alike = _embed(
        [
            "卡介质密码忘了怎么办",
            "ikey的口令想不起来了",
            "今天北京天气怎么样",
        ]
    )
    assert _cosine(question, paraphrase) > _cosine(question, look_alike)


def test_a_query_runs_on_one_thread_inside_rasa() -> None:
    """CPU time, not wall time: on a busy machine the wall clock says little. With the OpenMP
    runtime shared with scikit-learn on every core, one query took over 250 ms of CPU."""
    assert _probe(["热身"])["cpu_ms"] < 80


TRAINING_PROBE = """
import json, os
import rasa.engine.recipes.default_recipe  # loads scikit-learn's OpenMP first, as Rasa does
from nlu_components.sentence_embedding import embed, prepare, training_threads
texts = [prepare(t) for t in ["卡介质密码忘了怎么办", "报关单怎么打印", "跨境额度还剩多少"] * 30]
one, two = embed(texts, 1), embed(texts, 2)
threads = {}
for value in ("3", "0", "many", ""):
    os.environ["SWA_TRAINING_THREADS"] = value
    threads[value] = training_threads()
print(json.dumps({"same": bool((one == two).all()), "rows": len(two), "threads": threads,
                  "cores": min(os.cpu_count() or 1, 4)}))
"""


def test_training_embeds_on_several_threads_with_the_same_vectors() -> None:
    """Training data is embedded on every core (SWA_TRAINING_THREADS), which must not change a
    single number of the model: the vectors of 1 and 2 threads are identical."""
    found = in_rasa(TRAINING_PROBE)
    assert found["same"] and found["rows"] == 90
    cores = found["cores"]
    assert found["threads"] == {"3": 3, "0": cores, "many": cores, "": cores}


CACHE_PROBE = """
import json, os, sys
from pathlib import Path
import rasa.engine.recipes.default_recipe  # loads scikit-learn's OpenMP first, as Rasa does
import nlu_components.sentence_embedding as se
from nlu_components.embedding_cache import cache_file

asked = []
query = se._query
def counting(texts, threads=1):
    asked.extend(texts)
    return query(texts, threads)
se._query = counting

texts = [se.prepare(t) for t in ["卡介质密码忘了怎么办", "报关单怎么打印", "跨境额度还剩多少"]]
plain = se.embed(texts, 1)
found = {}
os.environ["SWA_EMBEDDING_CACHE"] = sys.argv[1]
asked.clear(); first = se.embed_training(texts); found["first"] = len(asked)
asked.clear(); again = se.embed_training(texts + texts[:1]); found["again"] = len(asked)
asked.clear(); more = se.embed_training([se.prepare("车辆备案在哪里做")] + texts)
found["one_new"] = len(asked)
found["same"] = bool((first == plain).all() and (again[:3] == plain).all()
                     and (more[1:] == plain).all() and (again[3] == plain[0]).all())
cache_file().write_bytes(b"not a numpy file")
asked.clear(); torn = se.embed_training(texts); found["unreadable"] = len(asked)
found["same_after"] = bool((torn == plain).all())
found["rewritten"] = cache_file().read_bytes()[:2] == b"PK"
whole = cache_file().read_bytes()
cache_file().write_bytes(whole[: len(whole) // 2])
asked.clear(); se.embed_training(texts); found["truncated"] = len(asked)
# A planted file whose arrays are pickled objects is never unpickled, only recomputed.
import numpy as np
with open(cache_file(), "wb") as planted:
    np.savez(planted, keys=np.array([object()], dtype=object), vectors=np.zeros((1, 384)))
asked.clear(); pickled = se.embed_training(texts); found["pickled"] = len(asked)
found["same_after"] = found["same_after"] and bool((pickled == plain).all())
os.environ["SWA_EMBEDDING_CACHE"] = "off"
asked.clear(); se.embed_training(texts); found["off"] = len(asked)
found["files"] = sorted(p.name for p in Path(sys.argv[1]).iterdir())
print(json.dumps(found))
"""


def test_training_embeds_each_text_once_across_trainings_with_the_same_vectors(tmp_path) -> None:
    """A later training reads what an earlier one embedded (only new texts reach the model), the
    vectors are those the model gives, and a file that cannot be read is recomputed and
    replaced, never a failed training."""
    found = in_rasa(CACHE_PROBE, str(tmp_path))
    assert (found["first"], found["again"], found["one_new"]) == (3, 0, 1)
    assert found["same"] and found["same_after"]
    assert (found["unreadable"], found["rewritten"], found["truncated"]) == (3, True, 3)
    assert found["pickled"] == 3
    assert found["off"] == 3
    assert len(found["files"]) == 1 and found["files"][0].startswith("e5-")
