"""The December 2026 fresh sets (issue 17): questions that tempt a confident wrong answer.

knowledge/evaluation/fresh_2026_12.yml (and fresh_2026_12b.yml, written after the first had
been tuned on: the honest measure of the second round; fresh_2026_12c.yml, of the third;
fresh_2026_12d.yml, of the fourth; fresh_2026_12e.yml, of the fifth; fresh_2026_12f.yml, of
the sixth; fresh_2026_12g.yml, of the seventh; fresh_2026_12h.yml, of the eighth;
fresh_2026_12i.yml, of the ninth; fresh_2026_12j.yml, of the tenth; fresh_2026_12k.yml, of the
eleventh; fresh_2026_12l.yml, of the twelfth; fresh_2026_12m.yml, of the thirteenth) hold
out-of-scope questions in the domain's words, number-bearing questions, noise and complaints, and
two more in-scope questions per entry (one in sets c, d and e).
It is scored with the same `understand` the bot uses; unlike the held-out and fresh phrasings
in knowledge/faq it measures what a wrong answer costs, not only top-1: the share of
out-of-scope questions declined or clarified, number-bearing questions answered by an unrelated
entry, and whether the right entry was at least among those offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.faq.evaluation import Case, Parsed, Parser, RoutedElsewhere, collect, decide
from actions.faq.knowledge import KnowledgeBase
from actions.faq.understanding import Answer, NotSure

EVALUATION_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "evaluation"
SET_PATH = EVALUATION_DIR / "fresh_2026_12.yml"
# The second set (2026-12-05), never tuned on: its figures are printed as b_* beside new_*.
SET_B_PATH = EVALUATION_DIR / "fresh_2026_12b.yml"
# The third set (2026-12-05, third round), written after the second had been tuned on: c_*.
SET_C_PATH = EVALUATION_DIR / "fresh_2026_12c.yml"
# The fourth set (2026-12-06, fourth round), written before set c's misses were read: d_*.
SET_D_PATH = EVALUATION_DIR / "fresh_2026_12d.yml"
# The fifth set (2026-12-06, fifth round), written blind while set d was tuned on, scored blind
# by bench.fresh_score; its misses were read in the sixth round, to tune on: e_*.
SET_E_PATH = EVALUATION_DIR / "fresh_2026_12e.yml"
# The sixth set (2026-12-06, sixth round), written blind while set e was tuned on, two in-scope
# questions per entry; not in SETS: scored only by bench.fresh_score (--set f).
SET_F_PATH = EVALUATION_DIR / "fresh_2026_12f.yml"
# The seventh set (2026-12-06, seventh round), written blind while set f was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set g).
SET_G_PATH = EVALUATION_DIR / "fresh_2026_12g.yml"
# The eighth set (2026-12-06/07, eighth round), written blind while set g was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set h).
SET_H_PATH = EVALUATION_DIR / "fresh_2026_12h.yml"
# The ninth set (2026-12-07, ninth round), written blind while set h was tuned on, two in-scope
# questions per entry; not in SETS: scored only by bench.fresh_score (--set i).
SET_I_PATH = EVALUATION_DIR / "fresh_2026_12i.yml"
# The tenth set (2026-12-07, tenth round), written blind while set i was tuned on, two in-scope
# questions per entry; not in SETS: scored only by bench.fresh_score (--set j).
SET_J_PATH = EVALUATION_DIR / "fresh_2026_12j.yml"
# The eleventh set (2026-12-07, eleventh round), written blind while set j was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set k).
SET_K_PATH = EVALUATION_DIR / "fresh_2026_12k.yml"
# The twelfth set (2026-12-07, twelfth round), written blind while set k was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set l).
SET_L_PATH = EVALUATION_DIR / "fresh_2026_12l.yml"
# The thirteenth set (2026-12-07, thirteenth round), written blind while set l was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set m).
SET_M_PATH = EVALUATION_DIR / "fresh_2026_12m.yml"
# The fourteenth set (2026-12-07, thirteenth round), written blind while set l was tuned on, two
# in-scope questions per entry; not in SETS: scored only by bench.fresh_score (--set n).
SET_N_PATH = EVALUATION_DIR / "fresh_2026_12n.yml"
# The fifteenth set (2026-12-07, fourteenth round), written blind while set m was tuned on and
# before set n's misses were read, two in-scope questions per entry; scored only by
# bench.fresh_score (--set o).
SET_O_PATH = EVALUATION_DIR / "fresh_2026_12o.yml"
# The sixteenth set (2026-12-07, fifteenth round), written blind while set n was tuned on and
# before set o's misses were read; scored only by bench.fresh_score (--set p).
SET_P_PATH = EVALUATION_DIR / "fresh_2026_12p.yml"
# The seventeenth set (2026-12-07, sixteenth round), written blind while set o was tuned on
# and before set p's misses were read; scored only by bench.fresh_score (--set q).
SET_Q_PATH = EVALUATION_DIR / "fresh_2026_12q.yml"
# The eighteenth set (2026-12-07, seventeenth round), written blind while set p was tuned on
# and before set q's misses were read; scored only by bench.fresh_score (--set r).
SET_R_PATH = EVALUATION_DIR / "fresh_2026_12r.yml"
# The nineteenth set (2026-12-07, seventeenth and eighteenth rounds), written blind while sets
# p and q were tuned on; round 19's blind measure, scored only by bench.fresh_score (--set s).
SET_S_PATH = EVALUATION_DIR / "fresh_2026_12s.yml"
# The twentieth set (2026-12-07), written blind after rounds 17-19, before set s's misses were
# read; round 20's blind measure, scored only by bench.fresh_score (--set t).
SET_T_PATH = EVALUATION_DIR / "fresh_2026_12t.yml"
# The sets by the prefix of their figures in bench.nlu's line ("a" prints as new_*).
SETS = {"a": SET_PATH, "b": SET_B_PATH, "c": SET_C_PATH, "d": SET_D_PATH, "e": SET_E_PATH}
# The sets tuned on (every set before t). Since the eighth round their in-scope questions are
# trained as their entries' phrasings in knowledge/faq (the ways real users ask, written by
# hand; sets a-g from round 8, 1,231 of 1,254, sets h and i from round 10, 450 of 456, set j
# from round 11, all 228, set k from round 12, 225 of 228, set l from round 13, 226 of 228,
# set m from round 14, 222 of 228, sets n and o from round 16, 224 of 228 each, set p from
# round 17, 225 of 228, sets q, r and s from round 20, 222, 225 and 227 of 228: those naming a
# Latin word or number no phrasing named, a look-alike subject, or (from set m) what a redirect
# in actions/faq/understanding.py gives to a neighbour, left out); their in-scope figures are a
# fit from then on, set t's are not.
ADOPTED = {
    **SETS,
    "f": SET_F_PATH,
    "g": SET_G_PATH,
    "h": SET_H_PATH,
    "i": SET_I_PATH,
    "j": SET_J_PATH,
    "k": SET_K_PATH,
    "l": SET_L_PATH,
    "m": SET_M_PATH,
    "n": SET_N_PATH,
    "o": SET_O_PATH,
    "p": SET_P_PATH,
    "q": SET_Q_PATH,
    "r": SET_R_PATH,
    "s": SET_S_PATH,
}
# Every set by its name (bench.fresh_score --set): the adopted ones, then the blind ones.
BY_NAME = {**ADOPTED, "t": SET_T_PATH}


@dataclass(frozen=True)
class FreshSet:
    out_of_scope: list[Case]
    numbers: list[Case]
    noise: list[Case]
    complaints: list[Case]
    in_scope: list[Case]

    def all(self) -> list[tuple[str, Case]]:
        groups = ("out_of_scope", "numbers", "noise", "complaints", "in_scope")
        return [(group, case) for group in groups for case in getattr(self, group)]


def load(path: Path = SET_PATH) -> FreshSet:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))

    def expected(items: list[dict]) -> list[Case]:
        return [Case(str(item["text"]), item.get("expected")) for item in items]

    return FreshSet(
        out_of_scope=[Case(str(text), None) for text in raw["out_of_scope"]],
        numbers=expected(raw["numbers"]),
        noise=[Case(str(text), None) for text in raw["noise"]],
        complaints=expected(raw["complaints"]),
        in_scope=[Case(str(t), eid) for eid, texts in raw["in_scope"].items() for t in texts],
    )


@dataclass(frozen=True)
class FreshScores:
    oos_declined: float  # out-of-scope questions declined or clarified (never answered)
    noise_declined: float
    numbers_wrong: int  # number-bearing questions answered by an entry about something else
    complaints_right: float  # the problem's entry answered, or a bare complaint not answered
    top1: float  # in-scope questions answered with their entry
    offered: float  # ... or their entry among the closest offered
    misses: list[tuple[str, Case, str]]

    def line(self, prefix: str = "new") -> str:
        return (f"{prefix}_oos_declined={self.oos_declined:.3f} {prefix}_noise_declined="
                f"{self.noise_declined:.3f} {prefix}_numbers_wrong={self.numbers_wrong} "
                f"{prefix}_complaints_right={self.complaints_right:.3f} "
                f"{prefix}_top1={self.top1:.3f} {prefix}_offered={self.offered:.3f}")

    def misses_text(self) -> str:
        """One line per miss, as the benches write them to their misses files."""
        return "".join(
            f"[{group}] {case.text!r}: expected {case.expected or '-'}, got {outcome}\n"
            for group, case, outcome in self.misses
        )


def _outcome(parse: dict, kb: KnowledgeBase) -> tuple[str | None, tuple[str, ...], str]:
    """(entry answered or None, entries offered, what the bot did as a miss names it)."""
    decision = decide(parse, kb)
    if isinstance(decision, Answer):
        shown = (decision.entry.id, *(entry.id for entry in decision.also))
        return decision.entry.id, shown, decision.entry.id
    if isinstance(decision, NotSure):
        shown = tuple(entry.id for entry in decision.closest)
        return None, shown, "not_sure:" + ",".join(shown) if shown else "declined"
    if isinstance(decision, RoutedElsewhere):
        return None, (), decision.intent
    return None, (), "declined"


def score(parsed: list[tuple[str, Parsed]], kb: KnowledgeBase) -> FreshScores:
    counts: dict[str, list[int]] = {}
    numbers_wrong = 0
    misses: list[tuple[str, Case, str]] = []
    top1 = offered = 0
    for group, item in parsed:
        answered, shown, did = _outcome(item.parse, kb)
        expected = item.case.expected
        right = answered == expected
        if group == "numbers" and answered is not None and answered != expected:
            numbers_wrong += 1
        if group == "in_scope":
            top1 += right
            offered += expected in shown
        counts.setdefault(group, []).append(int(right))
        if not right:
            misses.append((group, item.case, did))

    def share(group: str) -> float:
        values = counts.get(group) or [0]
        return sum(values) / len(values)

    in_scope = len(counts.get("in_scope") or [1])
    return FreshScores(
        oos_declined=share("out_of_scope"),
        noise_declined=share("noise"),
        numbers_wrong=numbers_wrong,
        complaints_right=share("complaints"),
        top1=top1 / in_scope,
        offered=offered / in_scope,
        misses=misses,
    )


def collect_set(parse: Parser, fresh: FreshSet) -> list[tuple[str, Parsed]]:
    """Every question of a set parsed, with its group: kept so a run-time change (subject terms,
    number rules, thresholds) can be re-scored through `understand` without the model."""
    pairs = fresh.all()
    parsed = collect(parse, [case for _, case in pairs])
    return [(group, p) for (group, _), p in zip(pairs, parsed, strict=True)]


def run(parse: Parser, kb: KnowledgeBase, fresh: FreshSet | None = None) -> FreshScores:
    return score(collect_set(parse, fresh or load()), kb)
