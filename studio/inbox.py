"""The inbox of unanswered questions (未知问题): what users asked that the bot did not serve.

A question lands here when the bot declined it, offered 猜你想问 instead of an answer, or
answered it and the user rated the answer 没用 or asked for a person right after. The session
job counts these per closed session (queue_service/outcomes.py) and sums them per day into
`bot_daily_keys` (kinds `unanswered` and `inbox`, queue_service/session_keys.py) in the same
transaction as the session's row, so each is counted once however many service instances run;
the texts are the transcript's, personal numbers masked. The inbox reads a period's sums (the
most asked questions, at most MAX_QUESTIONS of them), drops those a maintainer already handled
(`kb_inbox_marks`) and groups the rest into clusters of one question (kernel/clusters.py).

What a maintainer does with a cluster is one revision of the knowledge base (a phrasing added
to an entry, or an out-of-scope question, which is trained as a negative) and a mark on each of
its questions, so they leave the inbox; 新建条目 and 忽略 only mark.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from actions.faq.knowledge import normalise
from actions.faq.understanding import ANSWER_THRESHOLD
from kernel.clock import china_now
from kernel.clusters import Cluster, cluster
from kernel.messages import utcnow
from queue_service.rasa_client import RasaUnavailable
from queue_service.session_keys import INBOX, MAX_KEY, UNANSWERED, bot_daily_keys
from studio import tables
from studio.entries import Entries
from studio.exchange import ENTRY, OUT_OF_SCOPE
from studio.store import KnowledgeError, owners

log = logging.getLogger(__name__)

# The period's most asked questions clustered (distinct masked texts): the page stays fast at
# any traffic, and a question asked less often than the thousandth waits for a quieter period.
MAX_QUESTIONS = 1000
# Clusters on a page.
PAGE = 30
# Questions listed per cluster (the rest are counted).
SHOWN = 8
# Suggested entries per question (the model's ranking).
SUGGESTED = 3
PARSE_TIMEOUT_S = 3.0
# New phrasings of an entry checked against the model at once (the editor asks as one types).
MAX_CHECKED = 10
RETRIEVAL_INTENT = "faq"
OUT_OF_SCOPE_PHRASINGS = "phrasings"  # the out-of-scope item trained as negatives

# Why a question is here (the key's prefix) -> what the page calls it.
WHY_TITLES = {
    "out_of_scope": "拒答（范围外）",
    "not_understood": "未识别",
    "gave_up": "多次未识别",
    "suggested": "猜你想问",
    "not_useful": "答案没用",
    "handoff": "答后转人工",
}
ACTIONS = ("phrasing", "new_entry", "out_of_scope", "ignored")

Parse = Callable[[str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class InboxCluster:
    text: str  # the most asked wording
    count: int
    questions: list[tuple[str, int]]  # every wording, most asked first
    why: dict[str, int]  # WHY_TITLES key -> times

    def json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "count": self.count,
            "questions": [{"text": q, "count": n} for q, n in self.questions[:SHOWN]],
            "more": max(0, len(self.questions) - SHOWN),
            "all": [q for q, _ in self.questions],
            "why": [
                {"why": w, "title": WHY_TITLES.get(w, w), "count": n}
                for w, n in sorted(self.why.items(), key=lambda item: -item[1])
            ],
        }


def period(days: int, today: date | None = None) -> tuple[date, date]:
    """The last `days` China-local days, today included."""
    end = today or china_now().date()
    return end - timedelta(days=days - 1), end


def _split(key: str) -> tuple[str, str]:
    why, _, question = key.partition(":")
    return why, " ".join(question.split())


class Inbox:
    def __init__(self, engine: AsyncEngine, entries: Entries, parse: Parse | None = None) -> None:
        self._engine = engine
        self._entries = entries
        self._parse = parse

    async def counted(self, start: date, end: date) -> dict[str, Counter[str]]:
        """The period's most asked open questions: question -> why -> times."""
        k = bot_daily_keys.c
        total = func.sum(k.n).label("n")
        query = (
            select(k.key, total)
            .where(k.kind.in_((UNANSWERED, INBOX)), k.day >= start, k.day <= end)
            .group_by(k.key)
            .order_by(total.desc(), k.key)
            .limit(MAX_QUESTIONS)
        )
        marks = tables.inbox_marks.c
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
            found: dict[str, Counter[str]] = {}
            for key, n in rows:
                why, question = _split(key)
                if question:
                    found.setdefault(question, Counter())[why] += int(n)
            handled = set()
            asked = list(found)
            for start_at in range(0, len(asked), 500):
                chunk = asked[start_at : start_at + 500]
                handled.update(
                    await connection.scalars(
                        select(marks.question).where(marks.question.in_(chunk))
                    )
                )
        return {q: why for q, why in found.items() if q not in handled}

    async def clusters(self, start: date, end: date, limit: int = PAGE) -> dict[str, Any]:
        """The period's clusters, most asked first, and how many there are."""
        counted = await self.counted(start, end)
        grouped: list[Cluster] = cluster((q, sum(w.values())) for q, w in counted.items())
        shown = []
        for found in grouped[:limit]:
            why: Counter[str] = Counter()
            for question, _ in found.questions:
                why.update(counted[question])
            shown.append(InboxCluster(found.text, found.count, found.questions, dict(why)))
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "total": len(grouped),
            "questions": len(counted),
            "clusters": [c.json() for c in shown],
        }

    async def suggestions(self, text: str) -> list[dict[str, Any]]:
        """The entries the published model ranks first for `text` (none if Rasa is away)."""
        if self._parse is None:
            return []
        try:
            parsed = await asyncio.wait_for(self._parse(text), PARSE_TIMEOUT_S)
        except (TimeoutError, RasaUnavailable) as exc:  # the inbox works without them
            log.info("inbox: no suggestions", extra={"error": f"{type(exc).__name__}: {exc}"})
            return []
        selector = (parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
        found = []
        for candidate in selector.get("ranking") or []:
            key = str(candidate.get("intent_response_key") or "")
            # One entry read at a time (a page asks for every cluster it shows at once).
            stored = await self._entries.store.get(ENTRY, key.removeprefix(f"{RETRIEVAL_INTENT}/"))
            entry = stored.item if stored is not None else None
            if entry is not None and not entry.retired:
                found.append(
                    {
                        "id": entry.key,
                        "title": entry.data.get("title", entry.key),
                        "confidence": round(float(candidate.get("confidence") or 0.0), 3),
                    }
                )
            if len(found) == SUGGESTED:
                break
        return found

    async def sent_elsewhere(
        self, entry_id: str | None, phrasings: list[str]
    ) -> list[dict[str, Any]]:
        """The entry's new phrasings (not saved yet) that the published model answers with
        another entry, confidently enough to answer: adding one would pull against the model
        until it is retrained, and it often means the phrasing belongs there. None without Rasa.
        """
        if self._parse is None:
            return []
        stored = await self._entries.store.get(ENTRY, entry_id or "")
        known = {normalise(p) for p in (stored.item.data.get("phrasings", []) if stored else [])}
        new = [p for p in dict.fromkeys(p.strip() for p in phrasings) if p]
        new = [p for p in new if normalise(p) not in known][:MAX_CHECKED]
        ranked = await asyncio.gather(*(self.suggestions(p) for p in new))
        found = []
        for phrasing, entries in zip(new, ranked, strict=True):
            top = entries[0] if entries else None
            if top and top["id"] != entry_id and top["confidence"] >= ANSWER_THRESHOLD:
                found.append({"phrasing": phrasing, **top})
        return found

    async def add_phrasing(
        self, entry_id: str, phrasing: str, questions: list[str], author: str
    ) -> None:
        """`phrasing` becomes a phrasing of the entry (a revision), the questions handled."""
        current = await self._entries.get(entry_id)
        phrasings = [*current.item.data.get("phrasings", []), phrasing]
        await self._entries.save(entry_id, {"phrasings": phrasings}, current.version, author)
        await self.mark(questions, "phrasing", author, entry_id)

    async def out_of_scope(self, phrasing: str, questions: list[str], author: str) -> None:
        """`phrasing` becomes an out-of-scope question (trained as a negative)."""
        stored = await self._entries.store.get(OUT_OF_SCOPE, OUT_OF_SCOPE_PHRASINGS)
        if stored is None:
            raise KnowledgeError("知识库中没有“不在服务范围内的问题”列表。")
        items = [s.item for s in await self._entries.store.current()]
        owner = owners(items).get(normalise(phrasing))
        if owner == OUT_OF_SCOPE:
            await self.mark(questions, "out_of_scope", author)
            return
        if owner is not None:
            raise KnowledgeError(f"“{phrasing}”已是条目“{owner}”的问法，不能再列为范围外问题。")
        values = [*stored.item.data["values"], phrasing]
        item = replace(stored.item, data={**stored.item.data, "values": values})
        key = (OUT_OF_SCOPE, OUT_OF_SCOPE_PHRASINGS)
        await self._entries.store.commit([item], author, "edit", {key: stored.version})
        await self.mark(questions, "out_of_scope", author)

    async def mark(
        self, questions: list[str], action: str, author: str, entry: str | None = None
    ) -> None:
        """The questions leave the inbox (marked again: the newer mark counts)."""
        wanted = sorted({" ".join(q.split())[:MAX_KEY] for q in questions if q.strip()})
        if not wanted:
            return
        marks = tables.inbox_marks
        now = utcnow()
        async with self._engine.begin() as connection:
            await connection.execute(delete(marks).where(marks.c.question.in_(wanted)))
            await connection.execute(
                insert(marks),
                [
                    {
                        "question": q,
                        "action": action,
                        "entry": entry,
                        "author": author,
                        "marked_at": now,
                    }
                    for q in wanted
                ],
            )
