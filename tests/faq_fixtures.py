"""A small knowledge base for FAQ tests, independent of the project's real content."""

from actions.faq.knowledge import Category, Entry, KnowledgeBase, OutOfScope


def _phrasings(stem: str) -> tuple[str, ...]:
    return tuple(f"{stem}{i}" for i in range(10))


def entry(entry_id: str, category: str, **fields) -> Entry:
    return Entry(
        id=entry_id,
        category=category,
        title=fields.pop("title", f"{entry_id}？"),
        answer=fields.pop("answer", f"{entry_id} 的答案"),
        phrasings=fields.pop("phrasings", _phrasings(entry_id)),
        heldout=fields.pop("heldout", (f"{entry_id}-a", f"{entry_id}-b", f"{entry_id}-c")),
        fresh=fields.pop("fresh", (f"{entry_id}-x", f"{entry_id}-y")),
        **fields,
    )


def small_kb() -> KnowledgeBase:
    return KnowledgeBase(
        categories=(
            Category(id="login", title="登录与卡介质"),
            Category(id="cbec", title="跨境电商"),
        ),
        entries=(
            entry(
                "card_unlock_legal",
                "login",
                title="法人卡锁了怎么解锁？",
                topic="card_unlock",
                subject=("法人卡",),
                related=("card_unlock_operator", "card_password"),
            ),
            entry(
                "card_unlock_operator",
                "login",
                title="操作员卡锁了怎么解锁？",
                topic="card_unlock",
                subject=("操作员卡", "操作卡"),
            ),
            entry("card_password", "login", title="卡介质初始密码是多少？"),
            entry("cbec_quota", "cbec", topic="cbec_query", subject=("额度", "限额")),
            entry("cbec_tax", "cbec", topic="cbec_query", subject=("税款", "税单")),
        ),
        out_of_scope=OutOfScope(
            phrasings=_phrasings("天气"), heldout=("笑话", "机票", "股票"), fresh=("菜谱", "电影")
        ),
    )


def parse(
    text: str,
    ranking: list[tuple[str, float]] = (),
    intent: str = "faq",
    entities: list[dict] = (),
) -> dict:
    """Rasa's /model/parse shape for one message, with a ResponseSelector ranking."""
    ranked = [{"intent_response_key": f"faq/{key}", "confidence": c} for key, c in ranking]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": ranked[0] if ranked else {}, "ranking": ranked},
        },
    }
