"""The knowledge base's rules, and the project's real content meeting them."""

from pathlib import Path

import pytest
import yaml

from actions.faq import knowledge
from actions.faq.evaluation import Case, cases
from actions.faq.knowledge import KnowledgeBase, OutOfScope, check_consistency, load, normalise
from stack import bot_data
from tests.faq_fixtures import entry, small_kb

# The categories the help desk must cover (issue: Hot-topic FAQ).
REQUIRED_CATEGORIES = {
    "用户注册",
    "登录与卡介质",
    "系统环境",
    "操作技巧",
    "跨境电商个人查询",
    "报关单证查询打印",
    "空港物流",
    "出口退税",
    "税费支付",
    "北京单一窗口",
    "联系客服",
}


def test_normalise_folds_width_case_and_punctuation() -> None:
    assert normalise("ＩＣ卡 锁了？！") == normalise("ic卡锁了") == "ic卡锁了"


def test_heldout_phrasing_may_not_be_trained() -> None:
    with pytest.raises(ValueError, match="also trained on"):
        entry("x", "login", heldout=("x1！", "b", "c"))


def test_fresh_phrasing_may_be_neither_trained_nor_held_out() -> None:
    with pytest.raises(ValueError, match="fresh phrasings also trained or held out"):
        entry("x", "login", fresh=("x1",))
    with pytest.raises(ValueError, match="fresh phrasings also trained or held out"):
        entry("x", "login", fresh=("X-A",))
    trained = tuple(f"天气{i}" for i in range(10))
    with pytest.raises(ValueError, match="held-out phrasings also trained on"):
        OutOfScope(phrasings=trained, heldout=("天气1", "b", "c"))
    with pytest.raises(ValueError, match="fresh phrasings also trained or held out"):
        OutOfScope(phrasings=trained, heldout=("a", "b", "c"), fresh=("b",))
    clash = entry("b", "login", fresh=("a-x",))
    with pytest.raises(ValueError, match="is in both a and b"):
        check_consistency([entry("a", "login"), clash])
    with pytest.raises(ValueError, match="out-of-scope phrasing"):
        check_consistency([entry("a", "login")], ("a-y",))


def test_evaluation_sets_are_held_out_or_fresh() -> None:
    kb = small_kb()
    fresh = cases(kb, "fresh")
    assert Case("card_password-x", "card_password") in fresh
    assert Case("菜谱", None) in fresh
    assert not {c.text for c in fresh} & {c.text for c in cases(kb)}


def test_related_must_exist_and_phrasings_belong_to_one_entry() -> None:
    with pytest.raises(ValueError, match="related entries do not exist"):
        check_consistency([entry("a", "login", related=("ghost",))])
    clash = entry("b", "login", phrasings=tuple(f"a{i}" for i in range(10)))
    with pytest.raises(ValueError, match="is in both a and b"):
        check_consistency([entry("a", "login"), clash])


def test_topic_needs_a_subject_and_few_phrasings_are_refused() -> None:
    with pytest.raises(ValueError, match="topic and subject go together"):
        entry("a", "login", topic="t")
    with pytest.raises(ValueError, match="phrasings"):
        entry("a", "login", phrasings=("只有一个",))


def test_load_names_the_file_and_entry_at_fault(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "categories.yml").write_text("- {id: login, title: 登录}\n", encoding="utf-8")
    (tmp_path / "faq" / "login.yml").write_text(
        "- {id: broken, title: 标题, answer: 答案, phrasings: [a], heldout: [b, c, d]}\n",
        encoding="utf-8",
    )
    (tmp_path / "out_of_scope.yml").write_text("phrasings: []\nheldout: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"login\.yml: entry 'broken'"):
        load(tmp_path)


def test_generated_training_data_holds_trained_phrasings_only(tmp_path: Path) -> None:
    kb = small_kb()
    data = yaml.safe_load(bot_data.write(kb, tmp_path).read_text(encoding="utf-8"))
    intents = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert intents["faq/card_password"] == "".join(f"- card_password{i}\n" for i in range(10))
    assert "天气0" in intents["out_of_scope"]
    generated = "".join(intents.values())
    assert not [h for e in kb.entries for h in e.heldout if f"- {h}\n" in generated]
    unseen = [*kb.out_of_scope.heldout, *kb.out_of_scope.fresh]
    unseen += [f for e in kb.entries for f in e.fresh]
    assert not [u for u in unseen if f"- {u}\n" in generated]


@pytest.fixture(scope="module")
def real_kb() -> KnowledgeBase:
    return knowledge.default()


def test_real_knowledge_base_covers_the_help_desk(real_kb: KnowledgeBase) -> None:
    assert {c.title for c in real_kb.categories} >= REQUIRED_CATEGORIES
    assert len(real_kb.entries) >= 80
    assert all(real_kb.in_category(c.id) for c in real_kb.categories)
    assert all(len(e.phrasings) >= 10 and len(e.heldout) >= 3 for e in real_kb.entries)
    assert len(real_kb.out_of_scope.heldout) >= 20
    # The fresh set (docs/faq.md): 2 never-tuned questions per entry, 40 out of scope.
    assert all(len(e.fresh) >= 2 for e in real_kb.entries)
    assert len(real_kb.out_of_scope.fresh) >= 40


def test_real_answers_are_plain_polite_text(real_kb: KnowledgeBase) -> None:
    for item in real_kb.entries:
        assert "**" not in item.answer and not item.answer.startswith("#"), item.id
        assert item.title.endswith("？"), item.id


def test_real_follow_up_topics_have_siblings(real_kb: KnowledgeBase) -> None:
    for item in real_kb.entries:
        if item.topic:
            assert real_kb.siblings(item), f"{item.id}: topic {item.topic} has no other entry"
