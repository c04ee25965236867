"""The FAQ knowledge base: the one place where an entry is written.

An entry's category, title, answer, phrasings (trained), held-out phrasings (never trained,
used to measure accuracy), fresh phrasings (never trained and never tuned on: an unbiased
measure), related entries and follow-up topic live together in
``knowledge/faq/<category>.yml``. Rasa's training data is generated from these files
(``python -m stack.bot_data``) and the action server reads them to answer, so the answer a
user gets and the questions the model learned cannot drift apart.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"

MIN_PHRASINGS = 10
MIN_HELDOUT = 3
MAX_RELATED = 3
# Telegram callback data and WeChat numbered options show titles on one line.
MAX_TITLE_CHARS = 30
MAX_ANSWER_CHARS = 600

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def normalise(text: str) -> str:
    """Fold width, case and punctuation so near-identical phrasings compare equal."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\W_]+", "", folded)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    """One question-and-answer of the help desk."""

    id: Identifier
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE_CHARS)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_ANSWER_CHARS)]
    phrasings: tuple[Text, ...] = Field(min_length=MIN_PHRASINGS)
    heldout: tuple[Text, ...] = Field(min_length=MIN_HELDOUT)
    # Written once from the answer and the sources, without looking at the model's mistakes,
    # and never used to choose phrasings or settings: the honest estimate of accuracy on
    # questions nobody has asked yet (held-out phrasings were partly tuned on).
    fresh: tuple[Text, ...] = ()
    related: tuple[Identifier, ...] = Field(default=(), max_length=MAX_RELATED)
    # Entries that share a topic differ by their subject (法人卡 / 操作员卡), which is what
    # lets a follow-up such as "那操作员卡呢" move from one to the other.
    topic: Identifier | None = None
    subject: tuple[Text, ...] = ()
    category: Identifier = ""

    @model_validator(mode="after")
    def _heldout_is_unseen(self) -> Entry:
        _check_unseen(self.phrasings, self.heldout, self.fresh)
        if self.id in self.related:
            raise ValueError("an entry cannot be related to itself")
        if bool(self.topic) != bool(self.subject):
            raise ValueError("topic and subject go together")
        return self


def _check_unseen(
    phrasings: tuple[str, ...], heldout: tuple[str, ...], fresh: tuple[str, ...]
) -> None:
    """No held-out phrasing is trained; no fresh phrasing is trained or held out."""
    trained = {normalise(p) for p in phrasings}
    leaked = [h for h in heldout if normalise(h) in trained]
    if leaked:
        raise ValueError(f"held-out phrasings also trained on: {leaked}")
    seen = trained | {normalise(h) for h in heldout}
    leaked = [f for f in fresh if normalise(f) in seen]
    if leaked:
        raise ValueError(f"fresh phrasings also trained or held out: {leaked}")


class Category(_Strict):
    id: Identifier
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)]


class OutOfScope(_Strict):
    """Questions the assistant must decline, trained, held out and fresh like an entry's."""

    phrasings: tuple[Text, ...] = Field(min_length=MIN_PHRASINGS)
    heldout: tuple[Text, ...] = Field(min_length=MIN_HELDOUT)
    fresh: tuple[Text, ...] = ()
    # Boundary negatives (round 7): trained by the learned boundary alone
    # (nlu_components/oos_boundary.py), not as the out_of_scope intent.
    boundary: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _heldout_is_unseen(self) -> OutOfScope:
        _check_unseen((*self.phrasings, *self.boundary), self.heldout, self.fresh)
        return self

    @property
    def every(self) -> tuple[str, ...]:
        """Every list's questions: none may be an entry's phrasing."""
        return (*self.phrasings, *self.heldout, *self.fresh, *self.boundary)


# A measure word after a demonstrative or numeral starts no term: "签那个税费协议" holds 个税
# (personal income tax) across two words, "这个税怎么交" is "this tax".
_MEASURE_WORD = re.compile(r"(?<=[那这哪每某几两整各单一])个")


def _word_starts(folded: str) -> str:
    """The folded question as foreign terms are looked for in it."""
    return _MEASURE_WORD.sub(" ", folded)


def _holds(words: str, term: str) -> bool:
    """Whether a term is in the question; a number term ("12348") only as a number of its own,
    not as digits inside a declaration or phone number."""
    if term.isdigit():
        return re.search(rf"(?<!\d){term}(?!\d)", words) is not None
    return term in words


class SubjectCheck(_Strict):
    """What a group of entries is about, and the look-alike subjects it is not (issue 17).

    "社保卡丢了" shares 卡/丢了/补办 with the e-port card entries and the selector is sure of
    card_replace; a question naming a `foreign` term (社保卡) and no `own` term (卡介质) is not
    about these entries, whatever their score. Data in knowledge/subjects.yml, not code.
    """

    id: Identifier
    categories: tuple[Identifier, ...] = ()
    entries: tuple[Identifier, ...] = ()
    own: tuple[Text, ...] = ()  # none: a foreign term alone declines (the misuse group)
    foreign: tuple[Text, ...] = Field(min_length=1)

    def covers(self, entry: Entry) -> bool:
        return entry.category in self.categories or entry.id in self.entries

    def excludes(self, folded: str) -> bool:
        """Whether a normalised question is about a foreign subject and not about this one.

        An own word counts only outside the foreign terms found: in "移动的客服怎么转人工" the
        客服 is the operator's (移动的客服), not ours, so it does not vouch for the question. An
        own word that holds a foreign term (退运申请 beside 退运) is the more specific, and counts.
        """
        own, foreign = self._folded
        words = _word_starts(folded)
        found = [w for w in foreign if _holds(words, w)]
        if not found:
            return False
        rest = words
        # The longest first: "电商卖家" is taken out whole before "卖家" inside it.
        for word in sorted(found, key=len, reverse=True):
            rest = rest.replace(word, " ")
        return not any(
            w in rest or (w in folded and any(term in w for term in found)) for w in own
        )

    @cached_property
    def _folded(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # Folded once: every question of every turn, and every phrasing of a studio save
        # (~108,000 checks), asks it. Foreign terms are folded as the question is
        # (`_word_starts`): "注册一个" is looked for as "注册一 ", as "注册一个公众号" reads.
        foreign = tuple(_word_starts(normalise(term)) for term in self.foreign)
        return tuple(map(normalise, self.own)), foreign


def check_consistency(entries: list[Entry], declined: tuple[str, ...] = ()) -> None:
    """Rules across entries: unique ids, related entries exist, no phrasing in two places."""
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate entry ids: {duplicates}")
    known = set(ids)
    owner: dict[str, str] = {}
    for entry in entries:
        missing = [r for r in entry.related if r not in known]
        if missing:
            raise ValueError(f"{entry.id}: related entries do not exist: {missing}")
        for phrasing in (*entry.phrasings, *entry.heldout, *entry.fresh):
            key = normalise(phrasing)
            if owner.setdefault(key, entry.id) != entry.id:
                raise ValueError(f"phrasing {phrasing!r} is in both {owner[key]} and {entry.id}")
    for phrasing in declined:
        if normalise(phrasing) in owner:
            raise ValueError(f"out-of-scope phrasing {phrasing!r} is also an FAQ phrasing")


class KnowledgeBase(_Strict):
    categories: tuple[Category, ...]
    entries: tuple[Entry, ...]
    out_of_scope: OutOfScope
    subjects: tuple[SubjectCheck, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> KnowledgeBase:
        check_consistency(list(self.entries), self.out_of_scope.every)
        for entry in self.entries:
            for phrasing in (*entry.phrasings, *entry.heldout, *entry.fresh):
                if self.off_subject(entry, normalise(phrasing)):
                    raise ValueError(f"{entry.id}: its own phrasing {phrasing!r} fails a subject "
                                     "check (knowledge/subjects.yml)")
        return self

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def off_subject(self, entry: Entry, folded: str) -> bool:
        """Whether a normalised question is about something the entry's subject is not."""
        return any(check.covers(entry) and check.excludes(folded) for check in self.subjects)

    def in_category(self, category_id: str) -> list[Entry]:
        """Entries of a category in curated order."""
        return [e for e in self.entries if e.category == category_id]

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def siblings(self, entry: Entry) -> list[Entry]:
        """Other entries on the same topic (法人卡 vs 操作员卡 versions of one question)."""
        if not entry.topic:
            return []
        return [e for e in self.entries if e.topic == entry.topic and e.id != entry.id]

    @cached_property
    def latin_words(self) -> frozenset[str]:
        """Latin-letter and digit words of the entries' phrasings (ukey, ic, 12360, app)."""
        texts = (p for e in self.entries for p in (*e.phrasings, *e.heldout))
        return frozenset(w for t in texts for w in re.findall(r"[a-z0-9]{2,}", normalise(t)))

    @cached_property
    def named_numbers(self) -> frozenset[str]:
        """Numbers the trained phrasings and titles name as things (12360, ie10, 1210, 5000):
        not taken out of a question as a mere number (issue 17, understanding.py)."""
        texts = (t for e in self.entries for t in (*e.phrasings, e.title))
        found = (w for t in texts for w in re.findall(r"(?<![a-z0-9])\d[0-9a-z]*", normalise(t)))
        return frozenset(found)

    @cached_property
    def published_numbers(self) -> dict[str, frozenset[str]]:
        """The numbers each entry's answer gives (a service line, 020-83939000 as 02083939000;
        the initial password): a user who names one asks about what that entry answers (issue
        17, round 13)."""
        found = {
            e.id: frozenset(
                digits
                for n in re.findall(r"\d[\d-]{3,}\d", e.answer)
                if len(digits := n.replace("-", "")) >= 5
            )
            for e in self.entries
        }
        return {entry: digits for entry, digits in found.items() if digits}

    @cached_property
    def asked_numbers(self) -> frozenset[str]:
        """Numbers an entry is asked by on their own (a phrasing that is just "95198") or titled
        with (12360): typed alone they are that entry's question, any other bare number is not."""
        alone = (normalise(p) for e in self.entries for p in e.phrasings)
        titled = (n for e in self.entries for n in re.findall(r"\d{5,}", e.title))
        return frozenset(n for n in (*alone, *titled) if n.isdigit())

    @cached_property
    def _by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


def _read_yaml(path: Path) -> object:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_entries(path: Path) -> list[Entry]:
    """The entries of one category file; the category is the file's name."""
    entries = []
    for raw in _read_yaml(path) or []:
        try:
            entries.append(Entry.model_validate({**raw, "category": path.stem}))
        except Exception as error:
            raise ValueError(f"{path.name}: entry {raw.get('id')!r}: {error}") from error
    return entries


def load(folder: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Read and validate the whole knowledge base; raises ValueError naming the problem."""
    categories = [Category.model_validate(c) for c in _read_yaml(folder / "categories.yml")]
    entries: list[Entry] = []
    for category in categories:
        path = folder / "faq" / f"{category.id}.yml"
        if not path.exists():
            raise ValueError(f"category {category.id} has no file {path}")
        entries += load_entries(path)
    orphans = {p.stem for p in (folder / "faq").glob("*.yml")} - {c.id for c in categories}
    if orphans:
        raise ValueError(f"files without a category in categories.yml: {sorted(orphans)}")
    out_of_scope = OutOfScope.model_validate(_read_yaml(folder / "out_of_scope.yml"))
    subjects_path = folder / "subjects.yml"
    raw_subjects = _read_yaml(subjects_path) if subjects_path.exists() else []
    subjects = tuple(SubjectCheck.model_validate(s) for s in raw_subjects or [])
    return KnowledgeBase(categories=tuple(categories), entries=tuple(entries),
                         out_of_scope=out_of_scope, subjects=subjects)


@cache
def default() -> KnowledgeBase:
    """The project's knowledge base, read once per process."""
    return load()


def main(argv: list[str]) -> None:
    """Validate and summarise the knowledge base while editing it.

    ``python -m actions.faq.knowledge`` checks everything; given category files it checks
    only those, as if they were the whole knowledge base.
    """
    if argv:
        entries = [e for path in argv for e in load_entries(Path(path))]
        check_consistency(entries)
    else:
        entries = list(load().entries)
    for category in dict.fromkeys(e.category for e in entries):
        print(f"{category:<12} {sum(e.category == category for e in entries):>3} entries")
    trained = sum(len(e.phrasings) for e in entries)
    heldout = sum(len(e.heldout) for e in entries)
    fresh = sum(len(e.fresh) for e in entries)
    print(f"total: {len(entries)} entries, {trained} trained, {heldout} held-out and {fresh} "
          "fresh phrasings")


if __name__ == "__main__":
    main(sys.argv[1:])
