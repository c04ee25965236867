"""Canned responses (常用语) on SQLite and PostgreSQL: the store's checks and search, and the
console API where every member of staff reads them and only supervisors change them."""

import uuid

import pytest

from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import Role
from queue_service.console import texts as console_texts
from queue_service.console.canned import (
    CannedError,
    CannedStore,
    DuplicateShortcut,
    draft,
    valid_shortcut,
)
from queue_service.console.texts import (
    CANNED_DUPLICATE,
    CANNED_SHORTCUT_INVALID,
    CANNED_TEXT_EMPTY,
    CANNED_TEXT_TOO_LONG,
    CANNED_TITLE_EMPTY,
    CANNED_TITLE_TOO_LONG,
)
from tests.integration.test_console_api import create_account, log_in
from tests.integration.test_console_api import service as service  # the fixture, shared


def unique(prefix: str = "t") -> str:
    """A shortcut no other test uses: the database lives for the whole test session."""
    return f"/{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def canned(database_url: str):
    engine = db.create_engine(database_url)
    yield CannedStore(db.session_factory(engine))
    await engine.dispose()


@pytest.mark.parametrize(
    ("given", "kept"),
    [("/hello", "/hello"), ("  /Hello ", "/hello"), ("card-lock_2", "/card-lock_2")],
)
def test_shortcuts_are_normalised(given: str, kept: str) -> None:
    assert valid_shortcut(given) == kept


@pytest.mark.parametrize("given", ["", "/", "/你好", "/with space", "/a.b", "/" + "x" * 33])
def test_shortcuts_that_cannot_be_typed_after_a_slash_are_refused(given: str) -> None:
    with pytest.raises(CannedError) as refused:
        valid_shortcut(given)
    assert str(refused.value) == CANNED_SHORTCUT_INVALID


@pytest.mark.parametrize(
    ("title", "text", "message"),
    [
        (" ", "您好", CANNED_TITLE_EMPTY),
        ("标" * 41, "您好", CANNED_TITLE_TOO_LONG),
        ("问候", "  \n ", CANNED_TEXT_EMPTY),
        ("问候", "字" * 2001, CANNED_TEXT_TOO_LONG),
    ],
)
def test_titles_and_texts_are_checked_in_chinese(title: str, text: str, message: str) -> None:
    with pytest.raises(CannedError) as refused:
        draft("/ok", title, text, None)
    assert str(refused.value) == message


async def test_an_entry_is_created_changed_and_deleted(canned: CannedStore) -> None:
    shortcut = unique("hello")
    entry = await canned.create(
        draft(shortcut.upper(), " 问候 ", "您好，\n请问有什么可以帮您？ ", None), "boss"
    )
    assert (entry.shortcut, entry.title, entry.text, entry.skill) == (
        shortcut,
        "问候",
        "您好，\n请问有什么可以帮您？",
        None,
    )
    assert entry.created_by == "boss"
    assert entry.updated_at.tzinfo is not None
    assert await canned.get(entry.id) == entry

    changed = await canned.update(
        entry.id, draft(shortcut, "问候语", "您好，很高兴为您服务。", Skill.AIRPORT)
    )
    assert changed is not None
    assert (changed.title, changed.skill, changed.created_by) == ("问候语", Skill.AIRPORT, "boss")
    assert changed.updated_at >= entry.updated_at
    assert await canned.get(entry.id) == changed

    assert await canned.delete(entry.id)
    assert not await canned.delete(entry.id)
    assert await canned.get(entry.id) is None
    assert await canned.update(entry.id, draft(shortcut, "t", "t", None)) is None


async def test_a_shortcut_is_used_once(canned: CannedStore) -> None:
    taken = unique("dup")
    await canned.create(draft(taken, "一", "第一条", None), "boss")
    with pytest.raises(DuplicateShortcut) as refused:
        await canned.create(draft(taken.upper(), "二", "第二条", None), "boss")
    assert str(refused.value) == CANNED_DUPLICATE
    other = await canned.create(draft(unique("dup"), "三", "第三条", None), "boss")
    with pytest.raises(DuplicateShortcut):
        await canned.update(other.id, draft(taken, "三", "第三条", None))
    # The failed change left the entry as it was.
    assert (await canned.get(other.id)).shortcut != taken


async def test_search_ignores_case_and_takes_wildcards_literally(canned: CannedStore) -> None:
    tag = uuid.uuid4().hex[:8]
    card = await canned.create(
        draft(f"/card-{tag}", f"卡介质 {tag}", "请插入 IC Card 后重试。", None), "boss"
    )
    percent = await canned.create(
        draft(f"/rate-{tag}", f"查验比例 {tag}", "约 100% 的货物_需要查验", Skill.DECLARATION),
        "boss",
    )

    def ids(entries) -> list[int]:
        return [e.id for e in entries]

    assert ids(await canned.list(f"CARD-{tag.upper()}")) == [card.id]  # shortcut
    assert ids(await canned.list(f"卡介质 {tag}")) == [card.id]  # title
    assert card.id in ids(await canned.list("ic card"))  # text
    assert ids(await canned.list(tag)) == [card.id, percent.id]  # by shortcut
    assert percent.id in ids(await canned.list("100%"))
    assert card.id not in ids(await canned.list("100%"))
    assert percent.id in ids(await canned.list("货物_需要"))
    assert card.id not in ids(await canned.list("_"))
    assert ids(await canned.list(f"{tag} 不存在")) == []
    # A chat's skill sees its own entries and those for every skill.
    assert ids(await canned.list(tag, Skill.DECLARATION)) == [card.id, percent.id]
    assert ids(await canned.list(tag, Skill.AIRPORT)) == [card.id]
    assert ids(await canned.list(None, Skill.AIRPORT)).count(percent.id) == 0


def test_agents_read_the_list_and_only_supervisors_change_it(service, database_url) -> None:
    assert service.get("/console/api/canned").status_code == 401
    agent = create_account(database_url)
    boss = create_account(database_url, role=Role.SUPERVISOR)
    shortcut = unique("api")
    body = {"shortcut": shortcut, "title": "问候", "text": "您好，请问有什么可以帮您？"}

    log_in(service, boss)
    created = service.post("/console/api/canned", json=body)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["shortcut"], entry["skill"], entry["skill_title"], entry["created_by"]) == (
        shortcut,
        None,
        console_texts.ALL_SKILLS,
        boss,
    )

    log_in(service, agent)
    listed = service.get("/console/api/canned", params={"q": shortcut[1:].upper()}).json()
    assert [e["id"] for e in listed["canned"]] == [entry["id"]]
    assert {"id": "airport", "title": "空港物流"} in listed["skills"]
    for method, path in (
        ("POST", "/console/api/canned"),
        ("PUT", f"/console/api/canned/{entry['id']}"),
        ("DELETE", f"/console/api/canned/{entry['id']}"),
    ):
        refused = service.request(method, path, json=body)
        assert (refused.status_code, refused.json()["detail"]) == (
            403,
            console_texts.SUPERVISORS_ONLY,
        )

    # An agent's own entries: theirs to change, nobody else's to see.
    mine = {**body, "shortcut": unique("own"), "title": "我的问候", "personal": True}
    own = service.post("/console/api/canned", json=mine)
    assert own.status_code == 201 and own.json()["personal"] is True
    own_id = own.json()["id"]
    renamed = service.put(f"/console/api/canned/{own_id}", json={**mine, "title": "我的开场"})
    assert renamed.json()["title"] == "我的开场"
    log_in(service, create_account(database_url))
    assert own_id not in [e["id"] for e in service.get("/console/api/canned").json()["canned"]]
    hidden = service.delete(f"/console/api/canned/{own_id}")
    assert (hidden.status_code, hidden.json()["detail"]) == (404, console_texts.CANNED_NOT_FOUND)
    log_in(service, agent)
    assert service.delete(f"/console/api/canned/{own_id}").status_code == 204

    log_in(service, boss)
    changed = service.put(
        f"/console/api/canned/{entry['id']}",
        json={**body, "title": "开场问候", "skill": "airport"},
    )
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["skill_title"]) == ("开场问候", "空港物流")
    airport = service.get("/console/api/canned", params={"q": shortcut, "skill": "airport"})
    customs = service.get("/console/api/canned", params={"q": shortcut, "skill": "declaration"})
    assert len(airport.json()["canned"]) == 1
    assert customs.json()["canned"] == []

    assert service.delete(f"/console/api/canned/{entry['id']}").status_code == 204
    gone = service.delete(f"/console/api/canned/{entry['id']}")
    assert (gone.status_code, gone.json()["detail"]) == (404, console_texts.CANNED_NOT_FOUND)
    missing = service.put(f"/console/api/canned/{entry['id']}", json=body)
    assert (missing.status_code, missing.json()["detail"]) == (404, console_texts.CANNED_NOT_FOUND)


def test_supervisors_are_told_what_to_correct(service, database_url) -> None:
    log_in(service, create_account(database_url, role=Role.SUPERVISOR))
    shortcut = unique("dup")
    body = {"shortcut": shortcut, "title": "问候", "text": "您好"}
    assert service.post("/console/api/canned", json=body).status_code == 201
    duplicate = service.post("/console/api/canned", json={**body, "title": "另一条"})
    assert (duplicate.status_code, duplicate.json()["detail"]) == (409, CANNED_DUPLICATE)

    bad = service.post("/console/api/canned", json={**body, "shortcut": "/你好"})
    assert (bad.status_code, bad.json()["detail"]) == (422, CANNED_SHORTCUT_INVALID)
    empty = service.post("/console/api/canned", json={**body, "shortcut": unique(), "text": " "})
    assert (empty.status_code, empty.json()["detail"]) == (422, CANNED_TEXT_EMPTY)
    skill = service.post("/console/api/canned", json={**body, "skill": "nonsense"})
    assert skill.status_code == 422
    assert "提交的内容不正确" in skill.json()["detail"]
