"""Re-score the parses a `bench.nlu` run saved, through today's `understand`, without the model.

Why: subject terms (knowledge/subjects.yml), number rules and thresholds act after the model,
at run time; their effect on the held-out, November fresh and December sets a-c is measured in
seconds from the parses of one bench run instead of a new training. Set c's and set d's misses
are written to files beside the parses (read from the fourth and fifth rounds on, to tune on).
Set d is left out unless `--with-d` is given (scored once before and once after the fourth
round; its misses were read in the fifth, to tune on: docs/faq.md). Set e's parses, saved by
`bench.fresh_score`, are re-scored with `--with-e E-PARSES.json` (its misses were read in the
sixth round, to tune on); its misses go to a file beside them.

    python -m bench.nlu_rescore PARSES.json [--with-d] [--with-e E-PARSES.json] [--show-c]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from actions.faq import fresh_set, knowledge
from actions.faq.evaluation import Case, Parsed, score
from actions.faq.understanding import ANSWER_THRESHOLD


def load_parses(path: Path) -> dict[str, list[tuple[str, Parsed]]]:
    """Saved parses by set ("heldout", "fresh", "a".."d"), each with its group."""
    sets: dict[str, list[tuple[str, Parsed]]] = {}
    for which, group, text, expected, parse in json.loads(path.read_text()):
        sets.setdefault(which, []).append((group, Parsed(Case(text, expected), parse, 0.0)))
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parses", type=Path, help="parses.json written by bench.nlu")
    parser.add_argument("--with-d", action="store_true", help="score set d (once per round)")
    parser.add_argument("--with-e", type=Path, metavar="E_PARSES",
                        help="e-parses.json written by bench.fresh_score --set e")
    parser.add_argument("--show-c", action="store_true", help="print set c's misses")
    args = parser.parse_args()

    kb = knowledge.default()
    sets = load_parses(args.parses)
    if args.with_d:
        sets.update(load_parses(args.parses.with_name("d-parses.json")))
    if args.with_e:
        sets.update(load_parses(args.with_e))
    heldout = score([p for _, p in sets["heldout"]], kb, ANSWER_THRESHOLD)
    fresh = score([p for _, p in sets["fresh"]], kb, ANSWER_THRESHOLD)
    line = (f"nlu(rescored): heldout_top1={heldout.heldout_top1:.3f} "
            f"oos_reject={heldout.oos_reject:.3f} fresh_top1={fresh.heldout_top1:.3f} "
            f"fresh_oos_reject={fresh.oos_reject:.3f}")
    for name in ("a", "b", "c", "d", "e"):
        if name not in sets:
            continue
        scores = fresh_set.score(sets[name], kb)
        line += " " + scores.line("new" if name == "a" else name)
        if name in ("c", "d", "e"):
            beside = args.with_e if name == "e" else args.parses
            misses = beside.with_name(f"{name}-misses-rescored.txt")
            text = scores.misses_text()
            misses.write_text(text)
            if args.show_c and name == "c":
                print(text)
    print(line)


if __name__ == "__main__":
    main()
