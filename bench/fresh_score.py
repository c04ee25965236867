"""Score one fresh set on a model, once: the blind measurement of a tuning round.

Why apart from bench.nlu: a set written while another set is tuned on (fresh_2026_12e.yml,
issue 17) is scored once on the model before the round and once on the model after, and
nothing else; its misses go to a file that is not printed, so that scoring it does not tune on
it. Run it from the tree whose knowledge base the model was trained on.

    python -m bench.fresh_score --model PATH [--set NAME]  # NAME: a set of fresh_set.BY_NAME
    # last line: e_oos_declined=..
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import httpx

from actions.faq import fresh_set, knowledge
from bench.nlu import serve
from tests.support.servers import free_port, stop_process, wait_until


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--set", default="e", choices=sorted(fresh_set.BY_NAME))
    args = parser.parse_args()

    kb = knowledge.default()
    workdir = Path(tempfile.mkdtemp(prefix="swa-fresh-score-"))
    port = free_port()
    server = serve(args.model.resolve(), port, workdir / "rasa.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/status", timeout=2).is_success, 300, "Rasa")
        with httpx.Client(base_url=base, timeout=30) as http:

            def parse(text: str) -> dict:
                response = http.post("/model/parse", json={"text": text})
                response.raise_for_status()
                return response.json()

            parsed = fresh_set.collect_set(parse, fresh_set.load(fresh_set.BY_NAME[args.set]))
    finally:
        stop_process(server)
    scores = fresh_set.score(parsed, kb)
    # The parses, so run-time changes are re-scored without the model (bench.nlu_rescore
    # --with-e PARSES), once a set may be tuned on.
    parses = workdir / f"{args.set}-parses.json"
    parses.write_text(json.dumps([
        [args.set, group, p.case.text, p.case.expected, p.parse] for group, p in parsed
    ]))
    misses = workdir / f"{args.set}-misses.txt"
    misses.write_text(scores.misses_text())
    print(f"set {args.set}'s misses saved to {misses} (not printed), its parses to {parses}",
          file=sys.stderr)
    print(f"{args.model.name}: {scores.line(args.set)}")


if __name__ == "__main__":
    main()
