"""Today's decision on each question of saved parses: the baseline beside a learned boundary.

Why apart from bench/oos_boundary.py: `understand` (subject check, rules, thresholds) runs in
the application's environment, the learned scorers in Rasa's. bench.oos_boundary runs this as
a subprocess on the parses `bench.nlu` and `bench.fresh_score` saved and reads its JSON: for
each question text, "answered", "not_sure" (clarified) or "declined".

    python -m bench.oos_today PARSES.json [F-PARSES.json ...]   # JSON on stdout
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from actions.faq import knowledge
from actions.faq.understanding import Answer, NotSure, understand


def outcome(parse: dict, kb: knowledge.KnowledgeBase) -> str:
    """What the bot does with the question today, in the three words the bench counts."""
    decision = understand(parse, kb)
    if isinstance(decision, Answer):
        return "answered"
    return "not_sure" if isinstance(decision, NotSure) else "declined"


def main(paths: list[str]) -> None:
    kb = knowledge.default()
    outcomes: dict[str, str] = {}
    for path in paths:
        for _which, _group, text, _expected, parse in json.loads(Path(path).read_text()):
            outcomes[text] = outcome(parse, kb)
    json.dump(outcomes, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
