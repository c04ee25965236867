"""The reports API (报表) on real SQLite and PostgreSQL: a scripted day written through the
service's stores and closed by the session job (tests/support/report_day.py), then every table
checked against the figures computed from the script alone; CSV downloads, filters, buckets,
who may ask and what bad input gets."""

import asyncio
import csv
import io
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from kernel.clock import china_now
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role
from queue_service.reports import period as periods
from queue_service.reports.titles import entry_titles
from tests.integration.test_console_api import create_account, log_in
from tests.support import report_day
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client


@pytest.fixture(scope="module")
def day_written(redis_process, database_url):
    """The scripted day, once per database; the agents' user names."""
    agents = {"x": create_account(database_url), "y": create_account(database_url)}
    day = report_day.day_of(china_now().date())

    async def write() -> None:
        redis = Redis.from_url(redis_process.url)
        await report_day.write_day(database_url, redis, day, agents)
        await redis.aclose()

    asyncio.run(write())
    return day, agents


@pytest.fixture
def supervisor(redis_process, database_url, day_written):
    with make_client(redis_process.url, database_url, closed_port_url(), session_round_s=3600) as c:
        log_in(c, create_account(database_url, role=Role.SUPERVISOR))
        yield c


def report(client, day, **params) -> dict:
    query = {"period": "custom", "start": day.isoformat(), "end": day.isoformat(), **params}
    response = client.get("/console/api/reports", params=query)
    assert response.status_code == 200, response.text
    return response.json()["tables"]


def comparable(tables: dict) -> dict:
    """The API's rows less the columns the script does not know (report_day.expected_rows)."""
    return {
        "trend": tables["trend"]["rows"],
        "questions": [[r[0], r[1], *r[3:]] for r in tables["questions"]["rows"]],
        "feedback": [[r[0], r[1], *r[3:]] for r in tables["feedback"]["rows"]],
        "unanswered": [r[:3] for r in tables["unanswered"]["rows"]],
        "hours": tables["hours"]["rows"],
        "agents": [r[1:] for r in tables["agents"]["rows"]],
        "skills": [r[1:] for r in tables["skills"]["rows"]],
    }


@pytest.mark.parametrize("channel", [None, "wechat", "webchat"])
def test_every_table_shows_the_scripted_day(supervisor, day_written, channel) -> None:
    day, agents = day_written
    tables = report(supervisor, day, **({"channel": channel} if channel else {}))
    if channel is None:
        want = report_day.expected_rows(day, agents)
        assert comparable(tables) == want
    else:
        want = report_day.expected_rows(day, agents, channel)
        got = comparable(tables)
        # Chats are filtered by their conversation's channel too.
        shared = ("trend", "questions", "feedback", "unanswered")
        assert {k: got[k] for k in shared} == {k: want[k] for k in shared}
    for name in ("questions", "feedback"):
        assert all(row[2] == entry_titles()[row[1]] for row in tables[name]["rows"])
    assert tables["trend"]["columns"][:3] == ["日期", "会话数", "用户消息数"]
    if channel is None:
        # The figures by hand, so that the helper computing them cannot hide a mistake.
        [trend] = tables["trend"]["rows"]
        assert trend[1:9] == [12, 25, 14, 6, 3, 1, 2, 4]
        reasons = {row[1]: row[3] for row in tables["unanswered"]["rows"]}
        assert reasons["讲个笑话"] == "超出服务范围 3"
        assert reasons["那个东西"] == "未能理解 1"
        by_skill = {row[1]: row[0] for row in tables["skills"]["rows"]}
        assert by_skill == {s: SKILL_TITLES[Skill(s)] for s in ("account", "declaration")}
        # 有用 once, 没用 twice (one user changed their mind: their last verdict counts).
        assert tables["feedback"]["rows"] == [
            [1, "card_forgot_password", entry_titles()["card_forgot_password"], 3, 1, 2, 33.3]
        ]
        assert [r[5:] for r in tables["questions"]["rows"]] == [[0, 0.0], [1, 50.0]]
        nine = tables["hours"]["rows"][9]
        assert nine == ["09:00-10:00", 1, 0, 0.0, 1, 120.0, 120.0]


def test_buckets_are_china_weeks_and_months(supervisor, day_written) -> None:
    day, _ = day_written
    start = day - timedelta(days=day.weekday() + 7)  # a Monday, two weeks before the day's own
    end = day + timedelta(days=1)
    for by, label in (
        ("week", (day - timedelta(days=day.weekday())).isoformat()),
        ("month", day.strftime("%Y-%m")),
    ):
        query = {"period": "custom", "start": start.isoformat(), "end": end.isoformat(), "by": by}
        rows = supervisor.get("/console/api/reports", params=query).json()["tables"]["trend"][
            "rows"
        ]
        assert [r[0] for r in rows] == periods.ReportPeriod(start, end, periods.By(by)).buckets()
        assert [r[1] for r in rows if r[0] == label] == [12]
        assert sum(r[1] for r in rows) == 12


def test_csv_downloads_are_the_tables(supervisor, day_written) -> None:
    day, _ = day_written
    tables = report(supervisor, day)
    query = {"period": "custom", "start": day.isoformat(), "end": day.isoformat()}
    for name, table in tables.items():
        response = supervisor.get(f"/console/api/reports/{name}.csv", params=query)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == table["columns"]
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table["rows"]]
    missing = supervisor.get("/console/api/reports/nothing.csv", params=query)
    assert (missing.status_code, missing.json()["detail"]) == (404, "没有这个报表。")


def test_agents_may_not_see_reports(redis_process, database_url) -> None:
    with make_client(redis_process.url, database_url, closed_port_url()) as client:
        log_in(client, create_account(database_url))
        for path in ("/console/api/reports", "/console/api/reports/trend.csv"):
            response = client.get(path)
            assert (response.status_code, response.json()["detail"]) == (
                403,
                "仅班长（主管）可以进行此操作。",
            )
        client.post("/console/api/logout")
        assert client.get("/console/api/reports").status_code == 401


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"period": "year"}, periods.BAD_PERIOD),
        ({"period": "custom", "start": "2026-13-01", "end": "2026-12-01"}, periods.BAD_DATES),
        ({"period": "custom", "start": "2026-12-02", "end": "2026-12-01"}, periods.REVERSED),
        ({"period": "custom", "start": "2024-01-01", "end": "2026-12-01"}, periods.TOO_LONG),
        ({"by": "hour"}, periods.BAD_GROUPING),
        ({"channel": "email"}, "渠道无效，请重新选择。"),
        ({"skill": "nothing"}, "技能组无效，请重新选择。"),
    ],
)
def test_bad_filters_get_a_reason(supervisor, params, detail) -> None:
    response = supervisor.get("/console/api/reports", params=params)
    assert (response.status_code, response.json()["detail"]) == (422, detail)


def test_presets_end_today_and_the_skill_filter_applies(supervisor, day_written) -> None:
    day, _ = day_written
    today = china_now().date()
    data = supervisor.get("/console/api/reports", params={"period": "30d"}).json()
    assert data["period"] == {
        "first": (today - timedelta(days=29)).isoformat(),
        "last": today.isoformat(),
        "by": "day",
    }
    tables = report(supervisor, day, skill="account")
    assert [r[1:9] for r in tables["trend"]["rows"]] == [[2, 4, 0, 0, 2, 0, 0, 0]]
    assert [r[1] for r in tables["skills"]["rows"]] == ["account"]
