"""The selector's second view (nlu_components/sentence_embedding.py), in Rasa's environment.

The featurizer runs inside Rasa (Python 3.10), so these checks run there as a subprocess: the
bundled model loads without downloading anything, numbers and complaint words do not move the
embedding, and a paraphrase lies nearer its question than a look-alike about something else.
"""

import json
import subprocess

from stack.paths import RASA_VENV, ROOT

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


def _in_rasa(program: str, *args: str) -> dict:
    """Run `program` in Rasa's environment; what its last line printed, as JSON."""
    result = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _probe(texts: list[str]) -> dict:
    return _in_rasa(PROBE, json.dumps(texts))


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
    found = _in_rasa(TRAINING_PROBE)
    assert found["same"] and found["rows"] == 90
    cores = found["cores"]
    assert found["threads"] == {"3": 3, "0": cores, "many": cores, "": cores}
