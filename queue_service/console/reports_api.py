"""The reports page's API (报表, supervisors only): every table for a period in one request,
and each table as a CSV download with the same filters.

Query: `period` (today, 7d, 30d, custom), `start` and `end` (China dates, for custom), `by`
(day, week, month), `channel`, `skill`. Errors carry a Chinese `detail` the page shows.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from kernel.clock import china_now
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.sessions import StaffSession
from queue_service.console.auth import current_supervisor
from queue_service.deps import Accounts
from queue_service.reports import tables
from queue_service.reports.period import PeriodError, ReportPeriod
from queue_service.reports.queries import Filters, Reports
from queue_service.reports.titles import entry_titles
from queue_service.services import part

router = APIRouter(prefix="/console/api/reports", tags=["console"])

Supervisor = Annotated[StaffSession, Depends(current_supervisor)]
ReportsDep = Annotated[Reports, Depends(part(Reports))]
# The conversation id prefixes (kernel/conversation_ids.py) and what the page calls them.
CHANNEL_TITLES = {"webchat": "网页", "wechat": "微信", "telegram": "Telegram"}
BAD_CHANNEL = "渠道无效，请重新选择。"
BAD_SKILL = "技能组无效，请重新选择。"
UNKNOWN_TABLE = "没有这个报表。"


def filters(
    period: Annotated[str, Query(max_length=10)] = "7d",
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
    by: Annotated[str, Query(max_length=10)] = "day",
    channel: Annotated[str | None, Query(max_length=16)] = None,
    skill: Annotated[str | None, Query(max_length=32)] = None,
) -> Filters:
    """The query's filters, or 422 with the reason in Chinese."""
    try:
        chosen = ReportPeriod.parse(period, start, end, by, china_now().date())
    except PeriodError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if channel and channel not in CHANNEL_TITLES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, BAD_CHANNEL)
    if skill and skill not in {s.value for s in Skill}:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, BAD_SKILL)
    return Filters(chosen, channel or None, skill or None)


FiltersDep = Annotated[Filters, Depends(filters)]


async def build(name: str, f: Filters, reports: Reports, accounts: Any) -> tables.Table:
    """One table by name (tables.NAMES)."""
    if name == "trend":
        return tables.trend(await reports.trend(f), f.period.by)
    if name == "questions":
        after = await reports.handoffs_after(f)
        return tables.questions(await reports.questions(f), entry_titles(), after)
    if name == "feedback":
        return tables.feedback(await reports.feedback(f), entry_titles())
    if name == "unanswered":
        return tables.unanswered(await reports.unanswered(f))
    if name == "hours":
        return tables.hours(await reports.hours(f))
    if name == "agents":
        names = {a.username: a.display_name for a in await accounts.active()}
        return tables.agents(await reports.staff(f, "agent"), names)
    if name == "skills":
        return tables.skills(await reports.staff(f, "skill"))
    raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_TABLE)


@router.get("")
async def report(
    staff: Supervisor, f: FiltersDep, reports: ReportsDep, accounts: Accounts
) -> dict[str, Any]:
    built = [await build(name, f, reports, accounts) for name in tables.NAMES]
    return {
        "period": {
            "first": f.period.first.isoformat(),
            "last": f.period.last.isoformat(),
            "by": f.period.by.value,
        },
        "channel": f.channel,
        "skill": f.skill,
        "channels": [{"id": k, "title": v} for k, v in CHANNEL_TITLES.items()],
        "skills": [{"id": s.value, "title": SKILL_TITLES[s]} for s in Skill],
        "tables": {t.name: t.as_json() for t in built},
    }


@router.get("/{name}.csv")
async def report_csv(
    name: str, staff: Supervisor, f: FiltersDep, reports: ReportsDep, accounts: Accounts
) -> Response:
    table = await build(name, f, reports, accounts)
    filename = f"{table.title}_{f.period.first.isoformat()}_{f.period.last.isoformat()}.csv"
    ascii_name = f"report-{name}-{f.period.first.isoformat()}-{f.period.last.isoformat()}.csv"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        table.as_csv().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
