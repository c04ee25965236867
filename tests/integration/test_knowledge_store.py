"""The knowledge studio's store on SQLite and PostgreSQL: the repository's YAML in and out byte
for byte, edits as revisions with their author, history, rollback of an entry and of the whole
base, concurrent saves, and the loader's rules told in Chinese."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
import yaml

from actions.faq.knowledge import KNOWLEDGE_DIR, load
from queue_service import db
from queue_service.background import Background
from studio.entries import Entries
from studio.exchange import (
    ENTRY,
    POSITION_STEP,
    Item,
    read_folder,
    render_files,
    write_folder,
)
from studio.seed import seed_at_start
from studio.store import Conflict, KnowledgeError, KnowledgeStore, position_for
from tests.conftest import _postgres_database

# The files the studio owns (subjects.yml and evaluation/ stay the developers').
OWNED = [
    "categories.yml",
    "out_of_scope.yml",
    *(f"faq/{p.name}" for p in sorted((KNOWLEDGE_DIR / "faq").glob("*.yml"))),
]


@pytest.fixture(scope="module")
def repository_items() -> list[Item]:
    return read_folder(KNOWLEDGE_DIR)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database per test: these tests rewrite the whole base."""
    if request.param == "sqlite":
        database = nullcontext(f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    else:
        database = _postgres_database()
    with database as url:
        db.upgrade(url)
        yield url


@pytest.fixture
async def entries(fresh_url: str, repository_items: list[Item]) -> AsyncIterator[Entries]:
    engine = db.create_engine(fresh_url)
    store = KnowledgeStore(engine)
    assert await store.is_empty()
    revision = await store.import_items(repository_items)
    assert revision is not None and revision.author == "system"
    yield Entries(store)
    await engine.dispose()


def _export(items: list[Item], folder: Path) -> dict[str, bytes]:
    write_folder(items, folder)
    return {path: (folder / path).read_bytes() for path in OWNED}


def _repository() -> dict[str, bytes]:
    return {path: (KNOWLEDGE_DIR / path).read_bytes() for path in OWNED}


async def _current_items(entries: Entries) -> list[Item]:
    return [s.item for s in await entries.store.current()]


async def test_export_after_import_gives_the_repositorys_files_byte_for_byte(
    entries: Entries, tmp_path: Path
) -> None:
    exported = _export(await _current_items(entries), tmp_path)
    assert exported == _repository()
    # What the store validates is what the loader reads, in the same order.
    assert (await entries.store.knowledge()).entries == load().entries
    # Importing the same files again changes nothing: no revision is written.
    assert await entries.store.import_items(read_folder(KNOWLEDGE_DIR)) is None
    assert len(await entries.store.revisions()) == 1
    assert len(OWNED) == len(load().categories) + 2


async def test_an_edit_is_one_entry_in_one_file_and_the_loader_accepts_it(
    entries: Entries, tmp_path: Path
) -> None:
    before = await entries.get("login_methods")
    new_answer = "单一窗口支持账号登录和卡介质登录两种方式。\n部分业务必须使用卡介质登录。"
    phrasings = [*before.item.data["phrasings"], "登录方式有啥"]
    saved = await entries.save(
        "login_methods", {"answer": new_answer, "phrasings": phrasings}, before.version, "li"
    )
    assert saved.version == before.version + 1
    exported = _export(await _current_items(entries), tmp_path)
    changed = [path for path, text in exported.items() if text != _repository()[path]]
    assert changed == ["faq/login.yml"]
    kb = load(tmp_path)
    entry = kb.entry("login_methods")
    assert entry is not None and entry.answer == new_answer
    assert entry.phrasings[-1] == "登录方式有啥"
    # The other entries of the file keep their own text: the diff is this entry alone.
    old_file = yaml.safe_load((KNOWLEDGE_DIR / "faq/login.yml").read_text(encoding="utf-8"))
    new_file = yaml.safe_load((tmp_path / "faq/login.yml").read_text(encoding="utf-8"))
    assert [e["id"] for e in old_file] == [e["id"] for e in new_file]
    assert old_file[1:] == new_file[1:]
    assert (
        "answer: |-\n    单一窗口支持账号登录和卡介质登录两种方式。\n"
        in exported["faq/login.yml"].decode()
    )


async def test_history_restores_an_entry_and_the_whole_base_rolls_back(
    entries: Entries, tmp_path: Path
) -> None:
    store = entries.store
    first = await entries.get("card_locked_legal")
    second = await entries.save(
        "card_locked_legal", {"title": "法人卡锁了怎么办？"}, first.version, "li"
    )
    third = await entries.save(
        "card_locked_legal", {"answer": "请携带法人卡到数据分中心解锁。"}, second.version, "zhao"
    )
    history = await store.history(ENTRY, "card_locked_legal")
    assert [(s.version, r.author, r.action) for s, r in history] == [
        (3, "zhao", "edit"),
        (2, "li", "edit"),
        (1, "system", "import"),
    ]
    assert history[0][0].item.data["title"] == "法人卡锁了怎么办？"  # the title stayed
    assert history[0][0].item.data["answer"] == "请携带法人卡到数据分中心解锁。"
    # Diff between revisions names exactly this entry.
    changes = await store.diff(1, history[0][1].id)
    assert [(c.kind, c.key) for c in changes] == [(ENTRY, "card_locked_legal")]
    assert changes[0].before.data["answer"] == first.item.data["answer"]

    # Back to version 1: the entry is what was imported, and its file is byte-identical again.
    restored = await entries.restore_version("card_locked_legal", 1, third.version, "li")
    assert restored.version == 4 and restored.item.data == first.item.data
    assert _export(await _current_items(entries), tmp_path / "entry") == _repository()

    # A new entry and an edit elsewhere, then the whole base back to revision 1.
    created = await entries.create("card_new_test", _new_entry(), "login", "li")
    assert created.version == 1
    other = await entries.get("login_methods")
    await entries.save("login_methods", {"title": "怎么登录？"}, other.version, "li")
    rolled = await store.rollback(1, "zhao")
    assert rolled is not None and rolled.action == "rollback" and rolled.note == "#1"
    assert _export(await _current_items(entries), tmp_path / "base") == _repository()
    gone = await entries.get("card_new_test")
    assert gone.item.retired  # kept in SQL with its history, not in the files
    assert [r.action for r in await store.revisions()][:2] == ["rollback", "edit"]
    # Export of an earlier revision: the base as it was then.
    at_create = (await store.history(ENTRY, "card_new_test"))[-1][1].id
    then = [s.item for s in await store.state_at(at_create)]
    assert "card_new_test" in {i.key for i in then if i.kind == ENTRY and not i.retired}
    assert "id: card_new_test" in render_files(then)["faq/login.yml"]


def _new_entry() -> dict:
    return {
        "title": "测试用新问题？",
        "answer": "这是一个测试答案。",
        "phrasings": [f"测试新问法第{n}种说法" for n in range(10)],
        "heldout": ["测试留出问法一", "测试留出问法二", "测试留出问法三"],
        "related": ["card_locked_legal"],
    }


async def test_two_saves_from_the_same_version_one_wins_the_other_conflicts(
    entries: Entries,
) -> None:
    base = await entries.get("login_card_steps")

    async def save(author: str, answer: str) -> str:
        try:
            await entries.save("login_card_steps", {"answer": answer}, base.version, author)
        except Conflict as conflict:
            assert conflict.current is not None
            return f"conflict:{conflict.current.version}:{conflict.author}"
        return "saved"

    results = await asyncio.gather(save("li", "答案甲。"), save("zhao", "答案乙。"))
    assert sorted(results)[1] == "saved"
    assert sorted(results)[0].startswith(f"conflict:{base.version + 1}:")
    now = await entries.get("login_card_steps")
    assert now.version == base.version + 1
    winner = "li" if results[0] == "saved" else "zhao"
    assert now.item.data["answer"] == ("答案甲。" if winner == "li" else "答案乙。")
    assert (await entries.store.history(ENTRY, "login_card_steps"))[0][1].author == winner


async def test_the_loaders_rules_refuse_in_chinese_and_nothing_is_written(
    entries: Entries,
) -> None:
    entry = await entries.get("login_methods")
    phrasings = list(entry.item.data["phrasings"])
    refusals = [
        ({"phrasings": [*phrasings, "卡介质登录步骤"]}, "以下问法已属于其他条目"),
        ({"phrasings": phrasings[:5]}, "相似问法至少需要 10 条。"),
        ({"title": "标" * 31}, "标题请控制在 30 字以内"),
        ({"answer": "  "}, "请填写答案。"),
        ({"phrasings": [*phrasings, entry.item.data["heldout"][0]]}, "已是本条目的测试问法"),
        ({"related": ["no_such_entry"]}, "不存在或已停用的条目：['no_such_entry']"),
        ({"related": ["login_methods"]}, "相关问题不能包含条目自己。"),
        ({"topic": "card_unlock"}, "追问主题和主题对象需要同时填写"),
    ]
    for draft, said in refusals:
        with pytest.raises(KnowledgeError) as refused:
            await entries.save("login_methods", draft, entry.version, "li")
        assert said in str(refused.value), (draft, str(refused.value))
    with pytest.raises(KnowledgeError) as refused:
        await entries.set_retired("login_card_steps", True, 1, "li")
    assert "单一窗口有哪些登录方式？" in str(refused.value)  # it is related from there
    assert len(await entries.store.revisions()) == 1
    duplicates = await entries.duplicates(
        "login_methods", ["卡介质登录步骤", "全新的问法", "今天天气怎么样"]
    )
    assert [(d.phrasing, d.owner) for d in duplicates] == [
        ("卡介质登录步骤", "login_card_steps"),
        ("今天天气怎么样", "out_of_scope"),
    ]


async def test_an_entry_is_retired_restored_and_moved(entries: Entries, tmp_path: Path) -> None:
    created = await entries.create("zz_test_entry", _new_entry(), "contact", "li", rank=1)
    listed = [
        s.item.key
        for s in await entries.store.current(ENTRY)
        if s.item.category == "contact" and not s.item.retired
    ]
    assert listed[0] == "zz_test_entry"
    retired = await entries.set_retired("zz_test_entry", True, created.version, "li")
    assert retired.item.retired
    files = render_files(await _current_items(entries))
    assert "zz_test_entry" not in files["faq/contact.yml"]
    restored = await entries.set_retired("zz_test_entry", False, retired.version, "li")
    moved = await entries.save("zz_test_entry", {}, restored.version, "li", "tips", rank=2)
    assert moved.item.category == "tips"
    tips = [
        s.item.key
        for s in await entries.store.current(ENTRY)
        if s.item.category == "tips" and not s.item.retired
    ]
    assert tips[1] == "zz_test_entry"
    # Saved again at the place it has (as the form does), it is not moved or renumbered.
    again = await entries.save(
        "zz_test_entry", {"answer": "新答案。"}, moved.version, "li", "tips", rank=2
    )
    assert again.item.position == moved.item.position
    assert again.version == moved.version + 1
    write_folder(await _current_items(entries), tmp_path)
    assert load(tmp_path).entry("zz_test_entry").category == "tips"


def test_a_position_between_neighbours_or_the_file_renumbered() -> None:
    def item(key: str, position: int) -> Item:
        return Item(ENTRY, key, {}, "c", position)

    others = [item("a", 1024), item("b", 2048), item("c", 2049)]
    assert position_for(1, others) == (512, [])
    assert position_for(2, others) == (1536, [])
    assert position_for(9, others) == (2049 + POSITION_STEP, [])
    position, shifted = position_for(3, others)  # no room between 2048 and 2049
    assert position == 3 * POSITION_STEP
    assert [(i.key, i.position) for i in shifted] == [("a", 1024), ("b", 2048), ("c", 4096)]


async def test_a_database_that_does_not_answer_at_start_is_seeded_once_it_does(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "not-yet"  # SQLite cannot open a file in a folder that does not exist
    url = f"sqlite+aiosqlite:///{folder / 'kb.db'}"
    engine = db.create_engine(url)
    store = KnowledgeStore(engine)
    background = Background()
    await seed_at_start(store, background)  # no exception: the service starts
    for _ in range(50):  # the retry fails too, and says so among the background's problems
        if background.problems():
            break
        await asyncio.sleep(0.1)
    assert background.problems() == {"knowledge-seed": "OperationalError"}
    await asyncio.to_thread(db.upgrade, url)  # the database answers now (and has the schema)
    for _ in range(100):
        if not await store.is_empty():
            break
        await asyncio.sleep(0.1)
    assert len(await store.current(ENTRY)) == len(load().entries)
    assert background.problems() == {}
    await background.stop()
    await engine.dispose()
