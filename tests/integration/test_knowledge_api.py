"""The knowledge studio's API in the running service (real Redis and SQL): who may use it, the
seed on first start, two maintainers saving the same entry, history and restore, duplicate
phrasings flagged, the answer previewed as each channel renders it, and the accounts CLI."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from actions.buttons import HANDOFF_BUTTON
from actions.faq.knowledge import default
from queue_service import db
from queue_service.agents.accounts import AccountError, AccountStore, Role
from queue_service.console import auth
from queue_service.console import texts as console_texts
from stack.paths import ROOT
from tests.integration.test_console_api import PASSWORD, create_account, log_in
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part

API = "/console/api/knowledge"
SAME_ORIGIN = {"origin": "http://testserver"}
EVIL = {"origin": "https://evil.example"}
HANDOFF = HANDOFF_BUTTON["title"]


@pytest.fixture
def studio(redis_process, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The service on a database of its own (seeded from knowledge/ as it starts)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'studio.db'}"
    db.upgrade(url)
    with make_client(redis_process.url, url, closed_port_url()) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client, url


def _grant(url: str, username: str, granted: bool = True) -> None:
    async def grant() -> None:
        engine = db.create_engine(url)
        await AccountStore(db.session_factory(engine)).set_knowledge(username, granted)
        await engine.dispose()

    asyncio.run(grant())


def _as(client: TestClient, username: str) -> str:
    """Log in and return the session cookie (to switch between two maintainers)."""
    client.cookies.clear()
    log_in(client, username)
    return client.cookies[auth.COOKIE]


def test_only_maintainers_use_the_studio_and_maintainers_nothing_else(studio) -> None:
    client, url = studio
    entry = f"{API}/entries/login_methods"
    assert client.get(entry).status_code == 401
    assert client.get(entry).json() == {"detail": console_texts.NOT_LOGGED_IN}
    assert client.put(entry, json={"base_version": 1, "title": "x"}).status_code == 401

    agent = create_account(url, Role.AGENT)
    _as(client, agent)
    for method, path, body in [
        ("GET", entry, None),
        ("GET", f"{API}/entries", None),
        ("PUT", entry, {"base_version": 1, "answer": "代理改的答案"}),
        ("POST", f"{API}/entries/login_methods/retire", {"base_version": 1}),
        ("POST", f"{API}/revisions/1/rollback", None),
    ]:
        answer = client.request(method, path, json=body, headers=SAME_ORIGIN)
        assert (answer.status_code, answer.json()) == (
            403,
            {"detail": console_texts.MAINTAINERS_ONLY},
        ), path
    # An agent can never be given the studio.
    with pytest.raises(AccountError):
        _grant(url, agent)

    supervisor = create_account(url, Role.SUPERVISOR)
    _as(client, supervisor)
    assert client.get(entry).status_code == 403
    _grant(url, supervisor)  # the CLI would also end the session; a new login has the grant
    _as(client, supervisor)
    assert client.get(entry).json()["id"] == "login_methods"
    me = client.get("/console/api/me").json()  # still a supervisor, with the studio's link
    assert (me["role"], me["maintainer"]) == ("supervisor", True)

    maintainer = create_account(url, Role.MAINTAINER)
    login = client.post("/console/api/login", json={"username": maintainer, "password": PASSWORD})
    assert login.json()["role"] == "maintainer" and login.json()["maintainer"] is True
    assert client.get(f"{API}/me").json()["username"] == maintainer
    assert client.get(entry).status_code == 200
    # Knowledge only: the agents' console refuses a maintainer account.
    for path in ("/console/api/me", "/console/api/queue", "/console/api/chats"):
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (
            403,
            {"detail": console_texts.KNOWLEDGE_ONLY},
        ), path
    # And another site's page cannot make a maintainer's browser change anything.
    current = client.get(entry).json()
    refused = client.put(
        entry, json={"base_version": current["version"], "title": "改了"}, headers=EVIL
    )
    assert (refused.status_code, refused.json()) == (403, {"detail": console_texts.FOREIGN_ORIGIN})
    assert client.get(entry).json()["title"] == current["title"]
    page = client.get("/console/knowledge")
    assert (
        page.status_code == 200
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )


def test_two_maintainers_edit_one_entry_the_later_save_conflicts_and_nothing_is_lost(
    studio,
) -> None:
    client, url = studio
    li, zhao = create_account(url, Role.MAINTAINER), create_account(url, Role.MAINTAINER)
    li_cookie, zhao_cookie = _as(client, li), _as(client, zhao)
    entry = f"{API}/entries/login_card_steps"

    client.cookies.set(auth.COOKIE, li_cookie, path="/console")
    read_by_li = client.get(entry).json()
    client.cookies.set(auth.COOKIE, zhao_cookie, path="/console")
    read_by_zhao = client.get(entry).json()
    assert read_by_li["version"] == read_by_zhao["version"] == 1

    client.cookies.set(auth.COOKIE, li_cookie, path="/console")
    li_saves = client.put(
        entry,
        headers=SAME_ORIGIN,
        json={
            "base_version": 1,
            "answer": "小李改的答案：先安装客户端控件，再插卡登录。",
        },
    )
    assert li_saves.status_code == 200, li_saves.text
    assert li_saves.json()["version"] == 2

    client.cookies.set(auth.COOKIE, zhao_cookie, path="/console")
    phrasings = [*read_by_zhao["phrasings"], "插卡以后怎么登"]
    zhao_saves = client.put(
        entry,
        headers=SAME_ORIGIN,
        json={
            "base_version": 1,
            "phrasings": phrasings,
        },
    )
    assert zhao_saves.status_code == 409
    conflict = zhao_saves.json()
    assert conflict["detail"].startswith(f"该条目已被{li}于")
    assert "（当前为第 2 版），您的修改未保存。" in conflict["detail"]
    assert conflict["current"]["answer"] == "小李改的答案：先安装客户端控件，再插卡登录。"
    assert conflict["current"]["version"] == 2
    # Zhao saves again on the current version: both changes are kept.
    again = client.put(entry, headers=SAME_ORIGIN, json={"base_version": 2, "phrasings": phrasings})
    assert again.status_code == 200
    assert again.json()["answer"] == "小李改的答案：先安装客户端控件，再插卡登录。"
    assert again.json()["phrasings"][-1] == "插卡以后怎么登"

    history = client.get(f"{entry}/history").json()
    assert [(h["version"], h["author"], h["action_title"]) for h in history] == [
        (3, zhao, "修改"),
        (2, li, "修改"),
        (1, "system", "导入"),
    ]
    assert history[0]["changes"] == [
        {"field": "phrasings", "added": ["插卡以后怎么登"], "removed": []}
    ]
    assert history[1]["changes"][0]["field"] == "answer"
    assert history[1]["changes"][0]["after"].startswith("小李改的答案")

    restored = client.post(
        f"{entry}/versions/1/restore", headers=SAME_ORIGIN, json={"base_version": 3}
    )
    assert restored.status_code == 200
    assert restored.json()["answer"] == read_by_li["answer"]
    assert restored.json()["phrasings"] == read_by_li["phrasings"]
    stale = client.post(
        f"{entry}/versions/2/restore", headers=SAME_ORIGIN, json={"base_version": 3}
    )
    assert stale.status_code == 409

    # The whole base back to the revision before zhao's save: li's answer, without zhao's phrasing.
    revisions = client.get(f"{API}/revisions").json()
    assert [(r["author"], r["action_title"]) for r in revisions] == [
        (zhao, "恢复到历史版本"),
        (zhao, "修改"),
        (li, "修改"),
        ("system", "导入"),
    ]
    li_revision = revisions[2]["id"]
    rolled = client.post(f"{API}/revisions/{li_revision}/rollback", headers=SAME_ORIGIN)
    assert rolled.status_code == 200 and rolled.json()["revision"] == revisions[0]["id"] + 1
    now = client.get(entry).json()
    assert (now["version"], now["answer"]) == (5, "小李改的答案：先安装客户端控件，再插卡登录。")
    assert "插卡以后怎么登" not in now["phrasings"]
    unknown = client.post(f"{API}/revisions/9999/rollback", headers=SAME_ORIGIN)
    assert (unknown.status_code, unknown.json()["detail"]) == (422, "没有第 9999 次修订。")
    assert client.post(f"{API}/revisions/1/rollback", headers=EVIL).status_code == 403


def test_rules_duplicates_and_the_channel_preview(studio) -> None:
    client, url = studio
    log_in(client, create_account(url, Role.MAINTAINER))
    entry = client.get(f"{API}/entries/login_methods").json()
    refused = client.put(
        f"{API}/entries/login_methods",
        headers=SAME_ORIGIN,
        json={
            "base_version": entry["version"],
            "phrasings": [*entry["phrasings"], "卡介质登录步骤"],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("以下问法已属于其他条目")
    assert "“卡介质登录步骤”已属于“卡介质登录怎么操作？”" in refused.json()["detail"]
    flagged = client.post(
        f"{API}/duplicates",
        headers=SAME_ORIGIN,
        json={
            "entry_id": "login_methods",
            "phrasings": ["卡介质登录步骤", "登录方式", "没人问过的话"],
        },
    ).json()
    assert flagged == [
        {
            "phrasing": "卡介质登录步骤",
            "entry_id": "login_card_steps",
            "title": "卡介质登录怎么操作？",
            "model": False,
        }
    ]

    shown = client.post(
        f"{API}/preview",
        headers=SAME_ORIGIN,
        json={
            "entry_id": "login_methods",
            "title": "怎么登录？",
            "answer": "两种方式。",
            "related": ["login_card_steps"],
        },
    ).json()
    assert shown["webchat"] == {
        "text": "【怎么登录？】\n两种方式。",
        "buttons": ["卡介质登录怎么操作？", "有用", "没用", HANDOFF],
    }
    assert shown["wechat"]["text"].startswith(
        f"【怎么登录？】\n两种方式。\n1. 卡介质登录怎么操作？\n2. 有用\n3. 没用\n4. {HANDOFF}\n"
    )
    assert shown["telegram"] == [
        {
            "text": "【怎么登录？】\n两种方式。",
            "buttons": ["卡介质登录怎么操作？", "有用", "没用", HANDOFF],
        }
    ]

    new = {
        "category": "contact",
        "title": "客服几点下班？",
        "answer": "人工客服工作日 8:30-17:30。",
        "phrasings": [f"客服第{n}种下班时间问法" for n in range(10)],
        "heldout": ["客服几点下班", "人工几点下班", "下班时间"],
    }
    bad = client.post(f"{API}/entries", headers=SAME_ORIGIN, json={**new, "id": "Bad-Id"})
    assert (bad.status_code, bad.json()["detail"]) == (
        422,
        "条目编号只能由小写英文字母、数字和下划线组成，以字母开头。",
    )
    created = client.post(f"{API}/entries", headers=SAME_ORIGIN, json={**new, "id": "contact_off"})
    assert created.status_code == 201, created.text
    contact_entries = len(default().in_category("contact"))
    assert (created.json()["version"], created.json()["rank"]) == (1, contact_entries + 1)
    again = client.post(f"{API}/entries", headers=SAME_ORIGIN, json={**new, "id": "contact_off"})
    assert again.json()["detail"] == "条目编号“contact_off”已存在，请换一个编号。"

    found = client.get(f"{API}/entries", params={"q": "IKEY"}).json()
    assert "login_card_steps" in [e["id"] for e in found]
    login = client.get(f"{API}/entries", params={"category": "login"}).json()
    assert [e["rank"] for e in login] == list(range(1, len(login) + 1))
    categories = client.get(f"{API}/categories").json()
    assert categories[0] == {
        "id": "register",
        "title": "用户注册",
        "entries": categories[0]["entries"],
    }
    assert sum(c["entries"] for c in categories) == len(default().entries) + 1


def _command(
    module: str, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    """An operator's command line, as run on the server (`python -m <module> ...`)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_the_accounts_cli_makes_maintainers_and_grants_supervisors(tmp_path, redis_process) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url, "SWA_REDIS_URL": redis_process.url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return _command("queue_service.agents", env, *args, stdin="correct horse\n")

    made = run("create", "lixiao", "--name", "知识库小李", "--role", "maintainer")
    assert made.returncode == 0 and "created maintainer lixiao" in made.stdout, made.stderr
    assert run("create", "wang", "--name", "客服小王").returncode == 0
    assert run("create", "zhao", "--name", "值班主管", "--role", "supervisor").returncode == 0
    refused = run("knowledge", "wang", "on")
    assert refused.returncode == 2 and "an agent never" in refused.stderr
    granted = run("knowledge", "zhao", "on")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.startswith("zhao keeps the knowledge base")
    # Made an agent, the supervisor loses the grant with the role.
    assert run("role", "zhao", "agent").returncode == 0

    async def check() -> None:
        engine = db.create_engine(url)
        store = AccountStore(db.session_factory(engine))
        li, zhao = await store.get("lixiao"), await store.get("zhao")
        await engine.dispose()
        assert li is not None and li.role is Role.MAINTAINER and li.maintainer
        assert zhao is not None and zhao.role is Role.AGENT and not zhao.maintainer
        assert not zhao.maintains_knowledge

    asyncio.run(check())


def test_export_import_cli_round_trip(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return _command("studio", env, *args)

    empty = run("export", str(tmp_path / "none"))
    assert empty.returncode == 2 and "empty" in empty.stderr
    imported = run("import")
    assert imported.returncode == 0 and "as revision 1" in imported.stdout, imported.stderr
    exported = run("export", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    for path in ("categories.yml", "out_of_scope.yml", "faq/login.yml", "faq/cbec.yml"):
        assert (tmp_path / "out" / path).read_bytes() == (ROOT / "knowledge" / path).read_bytes()
    login = tmp_path / "out" / "faq" / "login.yml"
    text = login.read_text(encoding="utf-8")
    login.write_text(
        text.replace("- id: login_card_steps", "- id: login_methods", 1), encoding="utf-8"
    )
    refused = run("import", str(tmp_path / "out"))
    assert refused.returncode == 2 and "duplicate entry ids" in refused.stderr
    assert run("revisions").stdout.strip().endswith("system import")

    # A reviewed change to one answer, imported, diffed, and the whole base rolled back.
    login.write_text(
        text.replace("单一窗口首页提供两种登录方式：", "单一窗口提供两种登录方式：", 1),
        encoding="utf-8",
    )
    changed = run("import", str(tmp_path / "out"), "--author", "reviewer")
    assert "as revision 2" in changed.stdout, changed.stderr
    assert run("diff", "1", "2").stdout.strip() == "entry login_methods: changed: answer"
    rolled = run("rollback", "1", "--author", "ops")
    assert rolled.stdout.strip() == "rolled back to revision 1 as revision 3", rolled.stderr
    assert run("export", str(tmp_path / "back")).returncode == 0
    assert (tmp_path / "back" / "faq" / "login.yml").read_bytes() == (
        ROOT / "knowledge" / "faq" / "login.yml"
    ).read_bytes()
    listed = run("revisions").stdout.splitlines()
    assert [line.split()[3:5] for line in listed] == [
        ["ops", "rollback"],
        ["reviewer", "import"],
        ["system", "import"],
    ]
