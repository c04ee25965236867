"""FAQ understanding on held-out phrasings: accuracy, out-of-scope rejection, latency, training.

Trains a new model from the current training data (timed; DESIGN budget: under 5 minutes
on 2 cores), serves it with `rasa run --enable-api`, parses every held-out and every fresh
phrasing (entries' and out-of-scope questions') through Rasa's HTTP API, and scores the parses
with the same `understand` the action server uses. Prints a threshold sweep and the weakest
entries of each set; the last line is machine-readable:

    nlu: heldout_top1=.. oos_reject=.. parse_p50_ms=.. parse_p99_ms=.. train_s=..
         fresh_top1=.. fresh_oos_reject=.. new_oos_declined=.. new_numbers_wrong=..
         new_top1=.. new_offered=.. ... b_oos_declined=.. b_numbers_wrong=.. b_top1=.. ...
         (on the same line; new_*: fresh_2026_12.yml, b_*: fresh_2026_12b.yml, c_*:
         fresh_2026_12c.yml, d_*: fresh_2026_12d.yml, e_*: fresh_2026_12e.yml (tuned on since
         the sixth round), scored by actions/faq/fresh_set.py)

The held-out set was partly tuned on; the fresh set never was (docs/faq.md). Parse latency is
measured on the held-out questions.

    python -m bench.nlu [--model PATH]   # --model: skip training, score an existing model
"""

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import httpx

from actions.faq import fresh_set, knowledge
from actions.faq.evaluation import Parsed, Scores, cases, collect, percentile, score
from actions.faq.understanding import ANSWER_THRESHOLD
from stack import model
from stack.paths import RASA_BIN, ROOT
from stack.processes import RASA_QUIET
from tests.support.servers import free_port, stop_process, wait_until

SWEEP = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def serve(model_path: Path, port: int, log: Path) -> subprocess.Popen:
    if not model_path.is_file():  # Rasa would quietly serve the newest model in models/
        raise FileNotFoundError(f"no model file at {model_path}")
    command = [str(RASA_BIN), "run", "--enable-api", "--model", str(model_path)]
    command += ["--interface", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env={**RASA_QUIET, "PATH": "/usr/bin:/bin"}, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )


def report(kb: knowledge.KnowledgeBase, parsed: list[Parsed], which: str) -> Scores:
    """Print the threshold sweep, weakest entries and misses of one set; score at the threshold."""
    outside = len(getattr(kb.out_of_scope, which))
    print(f"\n== {which}: {len(kb.entries)} entries; {len(parsed)} questions "
          f"({outside} out of scope)")
    print(f"threshold  {'top1':>12}  oos_reject  wrong_answers  not_sure")
    for threshold in SWEEP:
        s = score(parsed, kb, threshold)
        print(f"{threshold:>9.2f}  {s.heldout_top1:>12.3f}  {s.oos_reject:>10.3f}  "
              f"{s.wrong_answers:>13}  {s.not_sure:>8}")

    result = score(parsed, kb, ANSWER_THRESHOLD)
    print(f"\nweakest entries at threshold {ANSWER_THRESHOLD} (misses/{which}: taken for):")
    for entry_id, misses, total, taken in result.weakest(kb, which=which):
        print(f"  {entry_id}: {misses}/{total}: {taken}")
    print(f"\nmissed {which} questions:")
    for case, outcome in result.misses:
        print(f"  {case.text!r}: expected {case.expected or 'out_of_scope'}, got {outcome}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="score this model instead of training one")
    parser.add_argument("--without-d", action="store_true",
                        help="leave set d out: it is scored once before and once after a round")
    args = parser.parse_args()

    kb = knowledge.default()
    workdir = Path(tempfile.mkdtemp(prefix="swa-bench-nlu-"))
    if args.model:
        model_path, train_s = args.model, float("nan")
    else:
        model_path = workdir / "bench-model.tar.gz"
        print("training a fresh model…", file=sys.stderr)
        train_s = model.train(model_path)

    port = free_port()
    server = serve(model_path, port, workdir / "rasa.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/status", timeout=2).is_success, 300, "Rasa")
        with httpx.Client(base_url=base, timeout=30) as http:
            http.post("/model/parse", json={"text": "热身"}).raise_for_status()

            def parse(text: str) -> dict:
                response = http.post("/model/parse", json={"text": text})
                response.raise_for_status()
                return response.json()

            parsed = collect(parse, cases(kb))
            fresh = collect(parse, cases(kb, "fresh"))
            sets = {name: fresh_set.collect_set(parse, fresh_set.load(path))
                    for name, path in fresh_set.SETS.items()
                    if not (args.without_d and name == "d")}
    finally:
        stop_process(server)
    new, newer, third = (fresh_set.score(sets[name], kb) for name in "abc")
    fourth = fresh_set.score(sets["d"], kb) if "d" in sets else None
    # The parses, for re-scoring run-time changes without the model (bench/nlu_rescore.py);
    # set d's apart, in their own file, scored once before and once after a round.
    parses = workdir / "parses.json"
    parses.write_text(json.dumps([
        [which, "", p.case.text, p.case.expected, p.parse]
        for which, items in (("heldout", parsed), ("fresh", fresh))
        for p in items
    ] + [
        [name, group, p.case.text, p.case.expected, p.parse]
        for name in "abce" for group, p in sets[name]
    ]))
    if fourth is not None:
        (workdir / "d-parses.json").write_text(json.dumps([
            ["d", group, p.case.text, p.case.expected, p.parse] for group, p in sets["d"]
        ]))
    print(f"parses saved to {parses} (set d's to d-parses.json)", file=sys.stderr)

    result = report(kb, parsed, "heldout")
    fresh_result = report(kb, fresh, "fresh")

    # Sets c's, d's and e's misses go to files, not the screen (docs/faq.md): set c's were read
    # from the fourth round on, set d's from the fifth, set e's from the sixth, to tune on.
    fifth = fresh_set.score(sets["e"], kb)
    for name, scores in (("c", third), ("d", fourth), ("e", fifth)):
        if scores is None:
            continue
        misses = workdir / f"{name}-misses.txt"
        misses.write_text(scores.misses_text())
        print(f"set {name}'s misses saved to {misses} (not printed)", file=sys.stderr)
    for path, scores in ((fresh_set.SET_PATH, new), (fresh_set.SET_B_PATH, newer)):
        print(f"\n== fresh set of December 2026 ({path.name}): misses")
        print(textwrap.indent(scores.misses_text(), "  "), end="")

    latencies = [p.milliseconds for p in parsed]
    print(
        f"nlu: heldout_top1={result.heldout_top1:.3f} oos_reject={result.oos_reject:.3f} "
        f"parse_p50_ms={percentile(latencies, 0.5):.1f} "
        f"parse_p99_ms={percentile(latencies, 0.99):.1f} train_s={train_s:.0f} "
        f"fresh_top1={fresh_result.heldout_top1:.3f} "
        f"fresh_oos_reject={fresh_result.oos_reject:.3f} {new.line()} {newer.line('b')} "
        f"{third.line('c')}{' ' + fourth.line('d') if fourth else ''} {fifth.line('e')}"
    )


if __name__ == "__main__":
    main()
