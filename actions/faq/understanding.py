"""Decide what a user's message means for the FAQ: answer an entry, admit doubt, or decline.

This is the whole judgement of the FAQ in one pure function over Rasa's parse result, so the
benchmark (bench/nlu.py), the accuracy test and the running bot agree on what "the right
answer was returned" means.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from actions.faq.knowledge import Entry, KnowledgeBase, normalise
from kernel import complaints, numbers

RETRIEVAL_INTENT = "faq"
OUT_OF_SCOPE_INTENT = "out_of_scope"
ENTRY_ENTITY = "faq_entry"

# Below this selector confidence the bot says it is not sure instead of answering.
# Chosen with bench/nlu.py (docs/faq.md records the sweep). The selector
# (nlu_components/linear_selector.py) trains the out-of-scope questions as a class of their own
# that is never ranked, so a question more like them than like any entry, or torn between
# entries, scores low here and gets the closest entries instead of a guess.
ANSWER_THRESHOLD = 0.3
CLOSEST_COUNT = 3
# DIET's out_of_scope intent declines a question unless the selector is all but certain of an
# entry: the selector's own out-of-scope class judges better (it takes 91% of the held-out
# out-of-scope questions, DIET 73%), and DIET declined terse FAQ questions such as "苹果本" that
# the selector put at 1.0; no held-out out-of-scope question got more than 0.80 from it.
SURE_DESPITE_OUT_OF_SCOPE = 0.95

# The learned boundary's output in the parse (nlu_components/oos_boundary.py, round 7): the
# question's score and the two thresholds set at training time, read as plain numbers so the
# action server needs no numpy.
BOUNDARY = "oos_boundary"

# A follow-up is short and leans on the previous answer: "那操作员卡呢", "操作员卡的呢？".
FOLLOW_UP_MAX_CHARS = 16
_FOLLOW_UP_CUES = re.compile(r"^(那|那么|那如果|如果是|还有|换成|要是)|(呢|的话|一样吗|也是吗)$")


@dataclass(frozen=True)
class Answer:
    entry: Entry
    confidence: float
    # "button" (clicked), "follow_up" (resolved from the previous answer) or "nlu".
    source: str = "nlu"
    # An answer the selector was not sure of also offers the next closest entries (猜你想问).
    also: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class NotSure:
    """Too unsure to answer: offer the closest entries instead of guessing."""

    closest: tuple[Entry, ...]


@dataclass(frozen=True)
class Decline:
    """Outside the Single Window: say so and say what the assistant can do."""


@dataclass(frozen=True)
class Lookup:
    """A message that is little more than a number: look that record up, never match the FAQ."""

    number: numbers.Number


@dataclass(frozen=True)
class QuotaYear:
    """A year's quota asked for that has no records: later than this year, or before the
    cross-border annual limit existed. Said so, instead of an answer about another year."""

    year: int
    this_year: int


Decision = Answer | NotSure | Decline | Lookup | QuotaYear

# A number with at most this many other characters ("税单…详情", "…的状态", "京A12345 备案通过了吗")
# asks about that record; a longer question is matched, with the number masked, as any other.
LOOKUP_MAX_OTHER_CHARS = 10
# A message whose words, once every number-like thing (a date, a year, a time, an amount, a code,
# an e-mail address; not the numbers the FAQ names, KnowledgeBase.named_numbers) is taken out,
# are at most this many characters ("邮编 100176", "工号 8023", "验证码 000000", "2027年1月1日")
# says nothing to match an entry by: it is asked to be put in words.
NUMBER_ONLY_MAX_OTHER_CHARS = 3
# Cross-border e-commerce retail imports have had a personal annual limit since 2016-04-08;
# a year before it or after this one has no quota to show.
QUOTA_RECORDS_SINCE = 2016
_YEARS = re.compile(r"(?<!\d)(\d{4})\s*年")
_QUOTA_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年[度的里内]{0,2}[^\d，。？！,.?!]{0,6}?额度")
# Below this confidence an answer also offers the next closest entries (猜你想问), so a user
# whose question was taken for its neighbour sees the right one beside it; at or above it the
# answer stands alone. Chosen on the held-out and the second December set (docs/faq.md): about
# one answer in seven carries them, and the right entry is then offered for 0.98-0.99.
OFFER_MORE_BELOW = 0.99
OFFER_MORE_COUNT = CLOSEST_COUNT
# An entry is offered beside an unsure answer only if the selector gave it at least this.
OFFER_MORE_MIN = 0.005
_CHINA = timezone(timedelta(hours=8))
# A message that is one bare number shorter than a service number (12360, 95198 have 5 digits)
# names nothing: "100", "5000", "1210" alone are asked to be put in words (fourth round).
BARE_NUMBER_MIN_DIGITS = 5
_BARE_NUMBER = re.compile(r"\d+")
# A record number beside words that ask how to solve a problem ("京QX7888 到卡口了不抬杆咋办")
# is a question about the problem, not a lookup of the record: it is matched as any question.
_HOW_TO_SOLVE = re.compile(
    r"怎么办|咋办|咋整|怎么弄|怎么处理|如何处理|为什么|为啥|什么原因|怎么回事"
    # Sixth round: any "how do I" beside a record number asks how, not what the record says
    # ("津C5W321 这车交完货了怎么出区", "津C12345 车辆备案怎么做").
    r"|怎么|怎样|如何|咋"
)
# Words that only ask for a record ("查一下", "状态", "详情"): taken out before the other
# characters beside a number of a known kind are counted, so "清单编号 … 查一下通关状态" or
# "提货预约单号 … 现在什么状态" is the lookup it asks for (sixth round), not the how-to entry.
# Not beside a number whose kind the words do not say ("身份证号…查一下额度" is the quota query).
_LOOKUP_WORDS = re.compile(
    r"帮我查|帮忙查|查一下|查下|查查|查询|看一下|看下|状态|详情|进度|到哪了?"
)
# A number's kind says what the question is about (issue 17, sixth round): a question carrying a
# plate or an appointment number is about air cargo at Daxing, a declaration or application
# number about declarations and their printing, a tax bill or an inventory (清单) number about a
# cross-border order or a customs tax. When the selector's top entry is from none of the kind's
# categories, the number did not drive the match and the words alone were too few to be sure:
# the closest entries are offered instead (猜你想问). A number whose kind the words do not say
# (RECORD: a card, an order, an ID number…) and a landline or 400 number say nothing of this.
NUMBER_KIND_CATEGORIES: dict[str, frozenset[str]] = {
    numbers.PLATE: frozenset({"airport"}),
    numbers.APPOINTMENT: frozenset({"airport"}),
    numbers.DECLARATION: frozenset({"print", "declare", "refund", "tax"}),
    numbers.APPLICATION: frozenset({"print", "declare", "airport", "register"}),
    numbers.TAX_BILL: frozenset({"cbec", "tax"}),
    numbers.CLEARANCE: frozenset({"cbec"}),
}
# A question carrying a number, a date, an amount or a code (not one the FAQ names: 12360, 5000)
# needs more of the selector's confidence to be answered: with the number masked or drawing the
# selector, what is left is often too little to tell neighbours apart. On sets a-d, 8 of the 10
# number-bearing questions answered below 0.65 were answered by another entry (京N8A123…车要先备案吗
# → the entry on what to do before going to Daxing); below it they are clarified (sixth round).
NUMBER_ANSWER_THRESHOLD = 0.65
# A mobile number is a person's: the contact entries answer about our service numbers (95198,
# 12360, the card offices' landlines), so "13912345678 这个号码是你们的客服吗" is not theirs to
# answer.
_MOBILE = re.compile(r"1[3-9]\d{9}")
SERVICE_NUMBER_CATEGORY = "contact"
# A year's total already spent ("今年在天猫国际买了23000元", "一年买了三万块") is the annual
# limit's question, not the single item's above 5,000 that the amount's digits draw the selector
# to (sixth round).
SINGLE_ITEM_ENTRY = "cbec_single_item"
_SPENT_THIS_YEAR = re.compile(
    r"(今年|一年|全年|累计|总共|一共)[^，,。？?！!]{0,8}?(买了|花了|用了|消费了)[^，,。？?！!]{0,4}?"
    r"(\d|[一二两三四五六七八九]万)"
)
# A year with records beside 额度 asking how much is left or used is that year's quota query
# (the entry the 查询…年额度 button answers), not the entry on which year a quota belongs to
# that the year's digits draw the selector to.
QUOTA_QUERY_ENTRY = "cbec_quota_query"
QUOTA_YEAR_ENTRY = "cbec_quota_reset"
_HOW_MUCH = re.compile(r"剩|余额|多少|查")
# The entry on how much the personal limits are (5,000 a purchase, 26,000 a year).
LIMITS_ENTRY = "cbec_limits"
# What is left of a complaint once its complaint words and the generic targets of a complaint
# (客服, 系统, 你们…) are taken out; at most this many characters is a bare complaint, with no
# problem inside to answer ("什么破客服", "你们系统真烂").
BARE_COMPLAINT_MAX_CHARS = 2
_COMPLAINT_TARGETS = re.compile(
    r"什么|你们的?|这个|客服|系统|网站|机器人|服务|态度|软件|平台|东西|玩意儿?|真的?|简直|太|了|啊|吧|呢|吗|的|"
    r"我要|我想|给|马上|立刻|现在|设计得?|做得?|搞得?|弄得?|"
    # Round 18: sarcasm's frame ("呵呵，智能客服，智障还差不多").
    r"呵呵|智能|还差不多"
)


# What a question names that only one neighbour answers (sixth round, written from kinds of
# question in every set): the selector's top entry among the `among` entries gives way to `to`
# when the question matches. Checked against every trained, held-out and fresh phrasing and every
# set's questions: each pattern matches only questions of its `to` entry.
@dataclass(frozen=True)
class Redirect:
    among: frozenset[str]
    pattern: re.Pattern[str]
    to: str


REDIRECTS = (
    # An application said to be made, asking where its file is: the step after applying
    # ("申请提交了，去哪里下载"), not the signed or unsigned version chosen when applying.
    Redirect(
        frozenset({"print_apply", "print_signed", "print_unsigned", "print_status", "print_enter",
                   "print_export_apply", "print_batch", "print_retention"}),
        re.compile(
            r"(申请了|申请好|申请完|申请成功|申请提交|提交了|已申请|已经申请|已提交)[^。？?！!]{0,12}?"
            r"(哪里|哪儿|在哪|哪个菜单|去哪|从哪)[^。？?！!]{0,6}?(导出|下载|打印|打出|拿到|取)"
        ),
        "print_where",
    ),
    # What happens to the year's quota at the year's end (清零, 结转, 留到明年, 按自然年算): the
    # entry on which year a quota belongs to, not the limits' amounts the question also names.
    Redirect(
        frozenset({"cbec_limits", "cbec_single_item", "cbec_over_limit"}),
        re.compile(
            r"结转|留到|累[计加]到|清零|一年一清|按自然年|自然年[算走]"
            # Round 17: carried to another year ("能挪到2026年用吗", "转到明年").
            r"|[挪移转延顺]到(明年|下一?年|次年|来年|\d{4}\s*年)"
        ),
        QUOTA_YEAR_ENTRY,
    ),
    # The rate asked for: how the tax is computed, not where the tax paid is looked up.
    Redirect(frozenset({"cbec_tax_query"}), re.compile(r"税率"), "cbec_tax_rate"),
    # A number offered as the card's password ("密码是不是12345678"): the initial password's
    # entry names it, whatever else the question says (忘了, 改).
    Redirect(
        frozenset({"card_forgot_password", "card_change_password", "card_locked_legal",
                   "card_locked_operator"}),
        re.compile(
            r"密码(是不是|是|就是|应该是)\s*\d{4,}|\d{4,}\s*(是不是|是)[^，。？?]{0,4}密码"
        ),
        "card_initial_password",
    ),
    # A password that cannot be recalled (round 18: "现在想不起来改成啥了") is forgotten, whatever
    # change it followed: the forgotten password's entry, not the one on changing it.
    Redirect(
        frozenset({"card_change_password"}),
        re.compile(r"想不起来?|记不起来?|记不得|不记得|忘了|忘记|忘掉"),
        "card_forgot_password",
    ),
)


def redirected(text: str, entry: Entry, kb: KnowledgeBase) -> Entry:
    """The neighbour the question's words name, if a redirect applies; else `entry`."""
    for redirect in REDIRECTS:
        if entry.id in redirect.among and redirect.pattern.search(text):
            return kb.entry(redirect.to) or entry
    return entry


def publisher(
    found: list[numbers.Number], candidates: tuple[Entry, ...], kb: KnowledgeBase
) -> Entry | None:
    """The candidate whose answer gives a number the question names ("020-83939000打过去按1还是
    按2" asks about the local service line, not the locked card beside it), if any."""
    typed = {n.value.replace("-", "").replace(" ", "") for n in found}
    for entry in candidates:
        if typed & kb.published_numbers.get(entry.id, frozenset()):
            return entry
    return None


def _entity(parse: dict[str, Any], name: str) -> str | None:
    for entity in parse.get("entities") or []:
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


def _ranking(parse: dict[str, Any], kb: KnowledgeBase) -> list[tuple[Entry, float]]:
    """The FAQ selector's ranking as known entries, best first."""
    selector = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    ranked = []
    for candidate in selector.get("ranking") or []:
        key = str(candidate.get("intent_response_key") or "")
        entry = kb.entry(key.removeprefix(f"{RETRIEVAL_INTENT}/"))
        if entry is not None:
            ranked.append((entry, float(candidate.get("confidence") or 0.0)))
    return ranked


def boundary(parse: dict[str, Any]) -> tuple[float, float, float] | None:
    """The learned boundary's (score, clarify, decline), or None for a model without it."""
    found = parse.get(BOUNDARY)
    if not isinstance(found, dict):
        return None
    try:
        return float(found["score"]), float(found["clarify"]), float(found["decline"])
    except (KeyError, TypeError, ValueError):
        return None


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(normalise(word) in text for word in words)


def follow_up(text: str, previous: Entry | None, kb: KnowledgeBase) -> Entry | None:
    """The sibling of the previous answer that a short follow-up asks about, if any.

    "那操作员卡呢" after the 法人卡 answer names a subject of another entry on the same topic;
    a message that names the previous subject too is a new question, not a follow-up.
    """
    if previous is None or not previous.topic:
        return None
    folded = normalise(text)
    if len(folded) > FOLLOW_UP_MAX_CHARS or _mentions(folded, previous.subject):
        return None
    named = [e for e in kb.siblings(previous) if _mentions(folded, e.subject)]
    if len(named) != 1:
        return None
    bare_subject = any(folded == normalise(word) for word in named[0].subject)
    if bare_subject or _FOLLOW_UP_CUES.search(text.strip(" ？?！!。.，,")):
        return named[0]
    return None


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


# Interjections and fillers ("额额", "嗯嗯", "哦", "啊啊啊"): a message of them alone asks nothing.
_FILLERS = re.compile(r"[嗯恩额呃哦噢喔啊阿哈呵嘿唉哎诶欸嗨哇呀吖咦嘛么哼]+")


def _gibberish(folded: str, kb: KnowledgeBase) -> bool:
    """No Chinese and no word the FAQ knows: "abc", "😀", "？？？", "1", or nothing but
    interjections ("额额", "嗯嗯嗯"). Not a question to match."""
    if _FILLERS.fullmatch(folded):
        return True
    if _CHINESE.search(folded):
        return False
    return not any(w in kb.latin_words for w in re.findall(r"[a-z0-9]{2,}", folded))


def bare_number(folded: str, kb: KnowledgeBase) -> bool:
    """Only digits, and fewer than a service number's ("100", "5000") or not a number an entry
    is asked by alone or titled with (95198, 12360): "26000" or "88888888" typed alone may be
    an amount, a password or a code; the FAQ's trained phrasings name them inside questions,
    not as questions (fifth round)."""
    if not _BARE_NUMBER.fullmatch(folded):
        return False
    return len(folded) < BARE_NUMBER_MIN_DIGITS or folded not in kb.asked_numbers


def amount_names_the_limit(text: str, entry: Entry) -> bool:
    """An amount of money ("2万6", "26000元", "1.5w") asked about under the entry on which year a
    quota belongs to: the question is how much the limit is, not when it resets (the amount's
    digits and 一年 draw the selector to the year entry)."""
    return entry.id == QUOTA_YEAR_ENTRY and bool(numbers.amounts(text))


def bare_complaint(text: str) -> bool:
    """A complaint with no problem named ("什么破客服"): acknowledged, never matched to an entry
    whose words it happens to share (客服 → 在线客服怎么使用)."""
    if not complaints.is_complaint(text):
        return False
    problem = _COMPLAINT_TARGETS.sub("", normalise(complaints.strip(text)))
    return len(problem) <= BARE_COMPLAINT_MAX_CHARS


def asks_how_to_solve(text: str) -> bool:
    """Words that ask how to solve a problem or how to do something, not what a record says."""
    return bool(_HOW_TO_SOLVE.search(text))


def asks_for_the_record(number: numbers.Number, other: str) -> bool:
    """The words beside a record number are few, once the words that only ask for a record
    (查一下, 状态, 详情…) are taken out beside a number of a known kind: the message asks for
    that record. "How do I" beside it asks a question."""
    if asks_how_to_solve(other):
        return False
    words = normalise(other)
    if number.kind != numbers.RECORD:
        words = _LOOKUP_WORDS.sub("", words)
    return len(words) <= LOOKUP_MAX_OTHER_CHARS


def number_misfits(found: list[numbers.Number], entry: Entry) -> bool:
    """Whether a number in the question is of a kind the entry is not about: a plate beside an
    entry outside air cargo, a mobile number beside our service numbers' entries."""
    for number in found:
        allowed = NUMBER_KIND_CATEGORIES.get(number.kind)
        if allowed is not None and entry.category not in allowed:
            return True
        mobile = number.kind == numbers.PHONE and _MOBILE.fullmatch(number.value)
        if mobile and entry.category == SERVICE_NUMBER_CATEGORY:
            return True
    return False


def spent_this_year(text: str) -> bool:
    """A year's total already spent is named ("今年买了23000元")."""
    return bool(_SPENT_THIS_YEAR.search(text))


def quota_year(text: str) -> int | None:
    """The year a question names beside 额度 ("2035年额度", "2019年的跨境额度"), if any. A
    question naming two years ("算2026年还是2027年的额度") asks which year an order counts in
    (round 18), not for one year's quota."""
    match = _QUOTA_YEAR.search(text)
    if match is None or len(set(_YEARS.findall(text))) > 1:
        return None
    return int(match.group(1))


def understand(
    parse: dict[str, Any],
    kb: KnowledgeBase,
    previous: Entry | None = None,
    threshold: float = ANSWER_THRESHOLD,
    today: date | None = None,
) -> Decision:
    """Turn Rasa's parse of one message into what the bot should do about it."""
    clicked = kb.entry(_entity(parse, ENTRY_ENTITY) or "")
    if clicked is not None:
        return Answer(clicked, 1.0, "button")

    sibling = follow_up(str(parse.get("text") or ""), previous, kb)
    if sibling is not None:
        return Answer(sibling, 1.0, "follow_up")

    text = unicodedata.normalize("NFKC", str(parse.get("text") or ""))
    folded = normalise(text)
    found = numbers.find(text)
    other = numbers.mask(text)
    if found and asks_for_the_record(found[0], other):
        return Lookup(found[0])
    words = normalise(numbers.without_numbers(text, kb.named_numbers))
    mails = numbers.emails(text)
    if mails and len(words) <= LOOKUP_MAX_OTHER_CHARS:
        return Lookup(mails[0])  # an e-mail address is a contact, as a phone number is
    year = quota_year(text)
    this_year = (today or datetime.now(_CHINA).date()).year
    if (
        year is not None
        and not QUOTA_RECORDS_SINCE <= year <= this_year
        and not any(kb.off_subject(entry, folded) for entry in kb.in_category("cbec"))
    ):
        return QuotaYear(year, this_year)
    # "2025年的额度" is that year's quota (the action runs the query for a verified consumer).
    if year is None and words != folded and len(words) <= NUMBER_ONLY_MAX_OTHER_CHARS:
        return NotSure(())

    if _gibberish(folded, kb) or bare_number(folded, kb):
        return NotSure(())
    if bare_complaint(text):
        return NotSure(())

    intent = (parse.get("intent") or {}).get("name")
    ranking = _ranking(parse, kb)
    if intent == OUT_OF_SCOPE_INTENT and not (
        ranking and ranking[0][1] >= SURE_DESPITE_OUT_OF_SCOPE
    ):
        return Decline()
    # The subject check (knowledge/subjects.yml): an entry about the e-port card is no answer to
    # a question about a social-security card, however high the selector scored it.
    on_subject = [(e, c) for e, c in ranking if not kb.off_subject(e, folded)]
    closest = tuple(entry for entry, _ in on_subject[:CLOSEST_COUNT])
    if (ranking and not on_subject[:1]) or (on_subject and on_subject[0][0] != ranking[0][0]):
        return Decline()
    if ranking and number_misfits(found, ranking[0][0]):
        return NotSure(closest)
    # The learned boundary (round 7): a question scored beyond what all but 1% of the trained
    # phrasings score is clarified (猜你想问, one click from its entry if it was ours), beyond
    # 0.2% declined, unless the selector is all but certain. Number-bearing questions keep
    # their own band (NUMBER_ANSWER_THRESHOLD below).
    learned = boundary(parse)
    sure = bool(ranking) and ranking[0][1] >= SURE_DESPITE_OUT_OF_SCOPE
    if learned is not None and words == folded and not sure:
        score, clarify, decline = learned
        if score >= decline:
            return Decline()
        if score >= clarify:
            return NotSure(closest)
    # Round 17: past the decline threshold neither the selector's certainty nor a number in the
    # question earns an answer. On set p, 5 of the 12 out-of-scope questions answered were scored
    # there ("摇号拿到的指标确认通知书过期了", "个人养老金账户每年12000的额度", "解压密码是多少")
    # while the selector was sure or a number kept the boundary out; no held-out, November
    # fresh or set p question of ours was. They are offered the closest entries, not declined:
    # the selector may still be right.
    if learned is not None and learned[0] >= learned[2]:
        return NotSure(closest)
    if ranking and ranking[0][1] >= threshold:
        entry, confidence = ranking[0]
        top = entry
        asked = kb.entry(QUOTA_QUERY_ENTRY)
        if year is not None and entry.id == QUOTA_YEAR_ENTRY and _HOW_MUCH.search(text) and asked:
            entry = asked  # "2025年的额度还剩多少": that year's quota, as its button gives
        limits = kb.entry(LIMITS_ENTRY)
        if year is None and limits and amount_names_the_limit(text, entry):
            entry = limits  # "额度2万6是一年的吗": how much the annual limit is
        if limits and entry.id == SINGLE_ITEM_ENTRY and spent_this_year(text):
            entry = limits  # "今年买了23000元，还能再买一个4000的吗": the annual limit
        entry = redirected(text, entry, kb)
        entry = publisher(found, closest, kb) or entry
        # An amount beside the limits' entry is read: the limit it names is the question.
        read = entry != top or (entry.id == LIMITS_ENTRY and bool(numbers.amounts(text)))
        if not read and words != folded and confidence < NUMBER_ANSWER_THRESHOLD:
            # A number-bearing question no rule has read: not sure enough (sixth round).
            return NotSure(closest)
        also = ()
        if confidence < OFFER_MORE_BELOW:
            runners_up = [e for e, c in on_subject[1:] if c >= OFFER_MORE_MIN]
            also = tuple(runners_up[:OFFER_MORE_COUNT])
        return Answer(entry, confidence, also=also)
    return NotSure(closest)
