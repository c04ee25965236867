"""The reports page (报表) in headless Chromium on the real stack.

A scripted day of conversations (tests/support/report_day.py: bot-only sessions, handoffs to
two agents with ratings, abandoned queues, a message left, a user coming back) is written
through the service's stores into the stack's database and closed by the session job, as
production does; a whole day cannot be driven through the browser in a test (it needs the
30-minute session gap and a day of clock). Then a supervisor opens 报表 for that day: every
chart's data (read from Chart.js), every table and every CSV download must show exactly the
figures the test computes from the script. An agent sees no 报表 tab and gets 403.
"""

import asyncio
import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from redis.asyncio import Redis

from kernel.clock import china_now
from queue_service.reports.titles import entry_titles
from tests.e2e.test_console_browser import PASSWORD, console_page, create_agent, log_in
from tests.e2e.test_webchat_browser import SCREENSHOT_DIR, csp_violations
from tests.e2e.test_webchat_browser import browser as browser  # the fixture, shared
from tests.support import report_day

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

VENDOR = Path(__file__).resolve().parents[2] / "queue_service/console/static/vendor"
NAMES = {"x": "客服小王", "y": "客服小李"}


def staff_page(stack, browser: Browser):
    """A console wide enough for the reports' two columns of charts."""
    return console_page(stack, browser, width=1400, height=1000)


@pytest.fixture(scope="module")
def day_written(stack):
    assert (VENDOR / "chart.umd.min.js").is_file(), "Chart.js is missing: run `make vendor`"
    agents = {k: create_agent(stack, name=name) for k, name in NAMES.items()}
    day = report_day.day_of(china_now().date())

    async def write() -> None:
        redis = Redis.from_url(stack.env["SWA_REDIS_URL"])
        await report_day.write_day(stack.env["SWA_DATABASE_URL"], redis, day, agents)
        await redis.aclose()

    # In a thread of its own: Playwright's sync API runs an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write()).result()
    return day, agents


def shown(value) -> str:
    """A cell as the page writes it (JavaScript's String(), "—" for nothing)."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def in_csv(value) -> str:
    return "" if value is None else str(value)


def open_reports(page: Page, stack, username: str, day) -> None:
    log_in(page, stack, username, PASSWORD)
    page.locator(".swa-tab-reports").click()
    expect(page.locator(".swa-report")).to_have_count(7)  # the default period first
    page.select_option(".swa-reports-period", "custom")
    page.fill(".swa-reports-start", day.isoformat())
    page.fill(".swa-reports-end", day.isoformat())
    with page.expect_response(lambda r: "/console/api/reports?" in r.url and "custom" in r.url):
        page.locator(".swa-reports-submit").click()
    expect(page.locator(".swa-reports-range")).to_have_text(
        f"统计周期：{day.isoformat()} 至 {day.isoformat()}"
    )


def chart_data(page: Page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('canvas[data-chart]'))
            .map(c => {
              const d = Chart.getChart(c).data;
              const series = Object.fromEntries(d.datasets.map(s => [s.label, s.data]));
              return [c.dataset.chart, {labels: d.labels, series: series}];
            }))"""
    )


def table_cells(page: Page, name: str) -> list[list[str]]:
    rows = page.locator(f'.swa-report[data-report="{name}"] tbody tr')
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def test_a_supervisor_sees_the_day_in_charts_tables_and_csv(stack, browser, day_written) -> None:
    day, agents = day_written
    supervisor = create_agent(stack, "--role", "supervisor", name="值班班长")
    with staff_page(stack, browser) as page:
        blocked = csp_violations(page)
        open_reports(page, stack, supervisor, day)
        api = page.request.get(
            f"{stack.service_url}/console/api/reports",
            params={"period": "custom", "start": day.isoformat(), "end": day.isoformat()},
        ).json()["tables"]
        want = report_day.expected_rows(day, agents)

        # The API's rows are the script's figures (less the columns the script does not know).
        assert api["trend"]["rows"] == want["trend"]
        assert [[r[0], r[1], *r[3:]] for r in api["questions"]["rows"]] == want["questions"]
        assert [[r[0], r[1], *r[3:]] for r in api["feedback"]["rows"]] == want["feedback"]
        assert [r[:3] for r in api["unanswered"]["rows"]] == want["unanswered"]
        assert api["hours"]["rows"] == want["hours"]
        assert [r[1:] for r in api["agents"]["rows"]] == want["agents"]
        assert [r[0] for r in api["agents"]["rows"]] == [
            NAMES[k] for k in ("x", "y")
        ]  # x has two chats, y one
        assert [r[1:] for r in api["skills"]["rows"]] == want["skills"]

        # The tables on the page: the same rows, cell by cell.
        for name, table in api.items():
            assert table_cells(page, name) == [[shown(v) for v in row] for row in table["rows"]]

        # The charts: the figures the script gives, drawn from those rows.
        charts = chart_data(page)
        trend = want["trend"][0]
        assert charts["volume"] == {
            "labels": [day.isoformat()],
            "series": {"会话数": [trend[1]], "用户消息数": [trend[2]]},
        }
        assert charts["rates"]["series"] == {
            "独立接待率(%)": [trend[9]],
            "转人工率(%)": [trend[10]],
            "无答案率(%)": [trend[11]],
        }
        titles = entry_titles()
        assert charts["questions"] == {
            "labels": [titles[r[1]] for r in want["questions"]],
            "series": {
                "回答次数": [r[2] for r in want["questions"]],
                "答后转人工": [r[4] for r in want["questions"]],
            },
        }
        assert charts["feedback"] == {
            "labels": [titles[r[1]] for r in want["feedback"]],
            "series": {
                "有用": [r[3] for r in want["feedback"]],
                "没用": [r[4] for r in want["feedback"]],
            },
        }
        assert charts["unanswered"] == {
            "labels": [r[1] for r in want["unanswered"]],
            "series": {"次数": [r[2] for r in want["unanswered"]]},
        }
        hours = want["hours"]
        assert charts["hours"]["labels"] == [r[0] for r in hours]
        assert charts["hours"]["series"] == {
            "排队会话": [r[1] for r in hours],
            "排队后放弃": [r[2] for r in hours],
            "平均等待(秒)": [r[5] for r in hours],
        }
        assert charts["agents"] == {
            "labels": [NAMES["x"], NAMES["y"]],
            "series": {
                "平均处理时长(秒)": [r[3] for r in want["agents"]],
                "平均满意度": [r[5] for r in want["agents"]],
            },
        }
        assert charts["skills"]["series"]["平均处理时长(秒)"] == [r[3] for r in want["skills"]]

        # Every table's CSV, downloaded from its link: UTF-8 with BOM, Chinese headers, the rows.
        for name, table in api.items():
            link = page.locator(f'.swa-report[data-report="{name}"] .swa-report-csv')
            with page.expect_download() as download:
                link.click()
            raw = Path(download.value.path()).read_bytes()
            assert raw.startswith("\ufeff".encode())
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
            assert rows == [table["columns"], *[[in_csv(v) for v in r] for r in table["rows"]]]

        # A week grouping: the day falls in its Monday's bucket.
        page.select_option(".swa-reports-by", "week")
        with page.expect_response(lambda r: "by=week" in r.url):
            page.locator(".swa-reports-submit").click()
        monday = report_day.day_of(china_now().date())
        monday = monday.fromordinal(monday.toordinal() - monday.weekday())
        assert chart_data(page)["volume"]["labels"] == [monday.isoformat()]
        page.select_option(".swa-reports-by", "day")
        with page.expect_response(lambda r: "by=day" in r.url):
            page.locator(".swa-reports-submit").click()
        expect(page.locator(".swa-reports-range")).to_be_visible()
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.locator(".swa-reports-body").evaluate("node => node.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOT_DIR / "console-reports.png"))
        page.locator(".swa-reports-body").evaluate("node => node.scrollTo(0, node.scrollHeight)")
        page.screenshot(path=str(SCREENSHOT_DIR / "console-reports-staff.png"))
        assert blocked == []


def test_agents_get_no_reports(stack, browser, day_written) -> None:
    agent = create_agent(stack)
    with staff_page(stack, browser) as page:
        log_in(page, stack, agent, PASSWORD)
        expect(page.locator(".swa-me-name")).to_be_visible()
        expect(page.locator(".swa-tab-reports")).to_be_hidden()
        for path in ("/console/api/reports", "/console/api/reports/trend.csv"):
            response = page.request.get(f"{stack.service_url}{path}")
            assert response.status == 403
            assert response.json()["detail"] == "仅班长（主管）可以进行此操作。"


def test_without_chart_js_the_page_says_so_and_keeps_the_tables(stack, browser, day_written):
    day, _ = day_written
    supervisor = create_agent(stack, "--role", "supervisor", name="值班班长")
    with staff_page(stack, browser) as page:
        page.route("**/console/static/vendor/chart.umd.min.js", lambda r: r.fulfill(status=404))
        open_reports(page, stack, supervisor, day)
        expect(page.locator(".swa-reports-nochart")).to_be_visible()
        expect(page.locator(".swa-reports-nochart")).to_contain_text("图表组件（Chart.js）未安装")
        assert page.locator("canvas[data-chart]").count() == 0
        trend = table_cells(page, "trend")
        assert trend[0][:2] == [day.isoformat(), "12"]
