"""Questions grouped into clusters of the same question: the studio's inbox (未知问题) and the
reports' unanswered questions.

Users ask one question many ways: with typos, extra words (请问、你好、一下), other punctuation,
and numbers that differ (masked or not, an 18-digit record number must not split a group).
Each question is folded (width, case, punctuation, filler words and numbers dropped, one
spelling for ways of asking that say the same: 如何 / 怎么, 能否 / 可以 / 能) and turned into
character 2- and 3-grams weighted by TF-IDF over the questions clustered together; two
questions are alike by the cosine of their vectors. Questions that fold alike are one from the
start. Clustering is greedy ("leader"): folded forms in order of how often they were asked,
each joining the most similar cluster (by its first few forms) when that similarity reaches
the threshold, else starting a cluster of its own. So the most asked wording leads its
cluster, and the result is the same for the same counts.

N-grams weigh every character alike, so two questions sharing a long way of asking and
differing in a short subject (税费单 / 船舶申报 + 被退回了什么原因) look alike; before a form
joins, `same_question` compares it with the cluster's most alike form character by character
and refuses a word put in another's place or more than a few characters added. Its price: a
synonym it does not know (企业 / 公司) splits a question in two clusters, which a maintainer
handles as two; a merge would hide a question inside another's cluster.

No library of the environment does this (no scikit-learn in the service's dependencies), and
the whole is a few dozen lines; an inverted index over the grams keeps it to the pairs that
share a gram, so a thousand distinct questions cluster in milliseconds.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# Two questions this alike (cosine of their TF-IDF vectors) are one question.
THRESHOLD = 0.4
# A question is compared with this many (folded) forms of each cluster (its most asked ones).
MEMBERS_COMPARED = 8
# The most alike clusters a form is checked against with same_question (the rest score lower).
CLUSTERS_CHECKED = 3
# Characters two forms of one question may differ by (added, dropped or a typo), or a quarter
# of the shorter form when that is more (same_question).
MAX_CHANGED = 2

# A number as typed or as the transcript masked it (138****5678): digits and stars.
_NUMBER = re.compile(r"[0-9*]+")
_NOT_WORD = re.compile(r"[\s\W_]+")
# Words that say nothing of the question: greetings, politeness.
_FILLERS = (
    "麻烦问一下",
    "麻烦问下",
    "请问一下",
    "想问一下",
    "问一下",
    "问下",
    "请问",
    "你好",
    "您好",
    "麻烦",
    "谢谢",
    "一下",
    "我想",
    "我要",
    "我的",
)
# Ways of asking that say the same (如何 / 怎么, 能否 / 可以 / 能): one spelling each, so that a
# question asked with the other is not "a word in another's place" (same_question).
_SAME_ASKING = re.compile(r"如何|怎样|咋样|怎么样|能否|可否|能不能|可不可以|可以|哪里|哪儿|需要")
_ASKED_AS = {
    "如何": "怎么",
    "怎样": "怎么",
    "咋样": "怎么",
    "怎么样": "怎么",
    "能否": "能",
    "可否": "能",
    "能不能": "能",
    "可不可以": "能",
    "可以": "能",
    "哪里": "哪",
    "哪儿": "哪",
    "需要": "要",
}
# Particles, and the "what do I do" that closes a question without saying which.
_TRAILING = re.compile(r"(怎么办|咋办|怎么弄|怎么回事)?[呢吗嘛啊呀吧哦哈]*$")


def fold(text: str) -> str:
    """The question as compared: width and case folded; numbers (which differ on every ask and
    say nothing of the question), punctuation, spaces and filler words gone."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _NOT_WORD.sub("", _NUMBER.sub("", folded))
    for filler in _FILLERS:
        folded = folded.replace(filler, "")
    folded = _SAME_ASKING.sub(lambda m: _ASKED_AS[m.group()], folded)
    return _TRAILING.sub("", folded) or folded


def grams(folded: str) -> Counter[str]:
    """Character 2- and 3-grams (a one-character question is its own gram)."""
    if len(folded) < 2:
        return Counter([folded]) if folded else Counter()
    found: Counter[str] = Counter()
    for size in (2, 3):
        found.update(folded[i : i + size] for i in range(len(folded) - size + 1))
    return found


def vectors(folded: list[str]) -> list[dict[str, float]]:
    """TF-IDF vectors of the (folded) texts' grams, each of unit length."""
    counted = [grams(f) for f in folded]
    df: Counter[str] = Counter()
    for each in counted:
        df.update(each.keys())
    n = len(folded)
    result = []
    for each in counted:
        weights = {g: tf * (math.log((1 + n) / (1 + df[g])) + 1) for g, tf in each.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        result.append({g: w / norm for g, w in weights.items()})
    return result


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(g, 0.0) for g, w in a.items())


def same_question(a: str, b: str) -> bool:
    """Whether two alike forms may be one question: one may add or drop a word or two (的, 已经,
    一直) or have a typo (one character for one), but a word put in another's place (报关 / 税费,
    查询 / 修改) or several words more make another question, however much of the rest they
    share (char n-grams alone join 报关单 / 快件报关 + 收费标准是多少)."""
    if abs(len(a) - len(b)) > max(MAX_CHANGED, min(len(a), len(b)) // 4):
        return False
    changes = [
        (i2 - i1, j2 - j1)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    if any(min(gone, added) and max(gone, added) >= 2 for gone, added in changes):
        return False
    changed = sum(max(gone, added) for gone, added in changes)
    return changed <= max(MAX_CHANGED, min(len(a), len(b)) // 4)


@dataclass
class Cluster:
    """Questions asked as one; the first (most asked) names it."""

    questions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.questions[0][0]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.questions)


def cluster(counted: Iterable[tuple[str, int]], threshold: float = THRESHOLD) -> list[Cluster]:
    """`(question, times)` pairs grouped; clusters by times asked, most first.

    Questions that fold alike are one from the start (and compared once); each folded form then
    joins the cluster holding the most similar of the (first MEMBERS_COMPARED) forms compared.
    """
    same: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for question, times in sorted(counted, key=lambda pair: (-pair[1], pair[0])):
        same[fold(question)].append((question, times))
    forms = sorted(same, key=lambda f: (-sum(n for _, n in same[f]), same[f][0][0]))
    found: list[Cluster] = []
    # gram -> [(compared form's number, weight)]; the form's cluster by its number
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    cluster_of: list[int] = []
    compared_forms: list[str] = []  # the folded form by its number
    compared: list[int] = []  # per cluster, forms compared so far
    for form, vec in zip(forms, vectors(forms), strict=True):
        scores: dict[int, float] = defaultdict(float)
        for gram, weight in vec.items():
            for number, other in postings.get(gram, ()):
                scores[number] += weight * other
        # Per cluster its most alike form; the few most alike clusters are checked in turn.
        nearest: dict[int, int] = {}
        for number, score in scores.items():
            if score >= threshold and (
                (held := nearest.get(cluster_of[number])) is None or score > scores[held]
            ):
                nearest[cluster_of[number]] = number
        alike = sorted(nearest.items(), key=lambda item: -scores[item[1]])[:CLUSTERS_CHECKED]
        index = next((i for i, n in alike if same_question(form, compared_forms[n])), None)
        if index is None:
            index = len(found)
            found.append(Cluster())
            compared.append(0)
        found[index].questions.extend(same[form])
        if compared[index] < MEMBERS_COMPARED:
            compared[index] += 1
            number = len(cluster_of)
            cluster_of.append(index)
            compared_forms.append(form)
            for gram, weight in vec.items():
                postings[gram].append((number, weight))
    for each in found:
        each.questions.sort(key=lambda pair: (-pair[1], pair[0]))
    return sorted(found, key=lambda c: (-c.count, c.text))
