"""The records repository on SQLite and PostgreSQL: what each owner sees, and only that."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete

from actions.records import statuses
from actions.records.db import sessions as records_sessions
from actions.records.demo import DEMO_CONSUMERS, DEMO_ENTERPRISES, load, seed, small
from actions.records.models import Consumer, Declaration, Inventory, RecordsBase
from actions.records.repository import (
    PAGE_SIZE,
    ApplicationKind,
    ConfirmOutcome,
    Period,
)
from actions.records.sql import SqlRecords
from kernel.clock import CHINA_TZ

TODAY = date(2026, 11, 24)
ALICE, BOB = (c.id for c in DEMO_CONSUMERS)
ACME, OTHER = (e.id for e in DEMO_ENTERPRISES)
ROWS = small(TODAY)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 8, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def records(empty_records_url: str) -> AsyncIterator[tuple[SqlRecords, Clock]]:
    sessions = records_sessions(empty_records_url)
    async with sessions() as session, session.begin():
        for table in reversed(RecordsBase.metadata.sorted_tables):
            await session.execute(delete(table))
    await load(empty_records_url, ROWS)
    clock = Clock()
    yield SqlRecords(sessions, clock), clock
    await sessions.kw["bind"].dispose()


def rows(model: type, **where) -> list[dict]:
    return [r for r in ROWS.tables[model] if all(r[k] == v for k, v in where.items())]


def expected_used(consumer_id: str, year: int) -> Decimal:
    """The quota rule, computed independently from the generated rows."""
    fen = 0
    for r in rows(Inventory, consumer_id=consumer_id):
        released, returned = r["released_at"], r["returned_at"]
        if r["status"] not in ("800", "899") or released.astimezone(CHINA_TZ).year != year:
            continue
        if returned and returned - released <= timedelta(days=30):
            continue
        fen += r["dutiable_total_fen"]
    return Decimal(fen) / 100


async def test_the_quota_counts_released_orders_of_the_year_less_early_returns(records) -> None:
    repo, _ = records
    for year in (2025, 2026):
        quota = await repo.quota(ALICE, year)
        assert quota.used == expected_used(ALICE, year)
        assert quota.remaining == max(Decimal(26000) - quota.used, Decimal(0))
        assert quota.limit == Decimal(26000)
    assert (await repo.quota(ALICE, 2026)).orders > 0
    empty = await repo.quota(ALICE, 2010)
    assert (empty.used, empty.remaining, empty.orders) == (0, 26000, 0)


async def test_a_return_within_30_days_gives_the_quota_back(empty_records_url, records) -> None:
    repo, _ = records
    sessions = records_sessions(empty_records_url)
    released = datetime(2026, 3, 1, 2, tzinfo=UTC)
    async with sessions() as session, session.begin():
        session.add(Consumer(id="p-returns", name="测试", id_number="110199199001010010"))
        for n, (status, returned_after, total_fen) in enumerate(
            [
                ("899", None, 100_00),  # counted
                ("899", timedelta(days=10), 200_00),  # returned in time: not counted
                ("800", timedelta(days=40), 400_00),  # returned too late: counted
                ("100", None, 800_00),  # sent back by customs: not counted
            ]
        ):
            session.add(
                Inventory(
                    pre_entry_no=f"R{n}",
                    inventory_no=f"RI{n}",
                    order_no=f"O{n}",
                    consumer_id="p-returns",
                    platform="p",
                    merchant="m",
                    port="北京海关",
                    status=status,
                    declared_at=released,
                    stored_at=released,
                    released_at=released if status != "100" else None,
                    returned_at=released + returned_after if returned_after else None,
                    dutiable_total_fen=total_fen,
                )
            )
    await sessions.kw["bind"].dispose()
    quota = await repo.quota("p-returns", 2026)
    assert (quota.used, quota.orders) == (Decimal("500.00"), 2)


async def test_lists_page_newest_first_without_repeats(records) -> None:
    repo, _ = records
    seen, page, total = [], 1, None
    while True:
        result = await repo.inventories(ALICE, page=page)
        total = result.total
        assert len(result.items) <= PAGE_SIZE
        seen += result.items
        if not result.has_more:
            break
        page += 1
    assert total == len(rows(Inventory, consumer_id=ALICE)) == len(seen)
    assert len({i.pre_entry_no for i in seen}) == total
    assert [i.stored_at for i in seen] == sorted((i.stored_at for i in seen), reverse=True)


async def test_filters_by_china_dates_and_status(records) -> None:
    repo, _ = records
    everything = (await repo.tax_bills(ALICE, page=1)).total
    newest = (await repo.tax_bills(ALICE)).items[0]
    day = newest.created_at.astimezone(CHINA_TZ).date()
    that_day = await repo.tax_bills(ALICE, Period(day, day))
    assert newest.tax_no in [b.tax_no for b in that_day.items]
    assert all(b.created_at.astimezone(CHINA_TZ).date() == day for b in that_day.items)
    assert that_day.total < everything
    paid = await repo.tax_bills(ALICE, status="2")
    assert paid.total > 0 and all(b.status == "2" and b.paid_on for b in paid.items)


async def test_details_add_up_and_belong_to_their_owner(records) -> None:
    repo, _ = records
    bill = (await repo.tax_bills(ALICE)).items[0]
    detail = await repo.tax_bill(ALICE, bill.tax_no)
    assert detail is not None and detail.items
    assert sum(i.tariff + i.consumption + i.vat for i in detail.items) == bill.amount
    assert all(i.tariff_rate == 0 for i in detail.items)  # within the limits
    inventory = (await repo.inventories(ALICE)).items[0]
    by_list_no = await repo.inventory(ALICE, inventory.inventory_no)
    by_pre_entry_no = await repo.inventory(ALICE, inventory.pre_entry_no)
    assert by_list_no == by_pre_entry_no is not None
    assert sum(i.total for i in by_list_no.items) == inventory.total
    # Someone else's numbers are simply not there.
    assert await repo.tax_bill(BOB, bill.tax_no) is None
    assert await repo.inventory(BOB, inventory.inventory_no) is None
    assert not {b.tax_no for b in (await repo.tax_bills(BOB)).items} & {bill.tax_no}


async def test_a_print_is_made_then_ready_for_a_month(records) -> None:
    repo, clock = records
    mine = rows(Declaration, enterprise_id=ACME)
    cleared = next(d["entry_no"] for d in mine if d["cleared_on"] and not d["legacy"])
    open_one = next(d["entry_no"] for d in mine if d["cleared_on"] is None and not d["legacy"])
    legacy = next(d["entry_no"] for d in mine if d["cleared_on"] and d["legacy"])
    theirs = rows(Declaration, enterprise_id=OTHER)[0]["entry_no"]
    asked = [cleared, cleared, theirs, "000000000000000000", open_one, legacy]

    result = await repo.apply(ACME, ApplicationKind.PRINT, asked, signed=True)

    assert result.unknown == [theirs, "000000000000000000"]
    status = {line.entry_no: line.status for line in result.lines}
    assert status[cleared] == statuses.PRINT_IN_PROGRESS
    assert status[open_one] == statuses.PRINT_NOT_CLEARED
    assert status[legacy] == statuses.PRINT_LEGACY
    assert len(result.lines) == len(status)  # the repeated number is applied for once

    clock.now += timedelta(minutes=5)
    listed = await repo.applications(ACME, ApplicationKind.PRINT, entry_nos=[cleared])
    line = next(x for x in listed.items if x.app_no == result.app_no)
    assert line.status == statuses.PRINT_SIGNED_READY
    assert line.available_until is not None and not line.expired
    clock.now = line.available_until + timedelta(seconds=1)
    listed = await repo.applications(ACME, ApplicationKind.PRINT, entry_nos=[cleared])
    assert next(x for x in listed.items if x.app_no == result.app_no).expired
    # The other enterprise sees none of it.
    theirs_listed = await repo.applications(OTHER, ApplicationKind.PRINT, entry_nos=[cleared])
    assert theirs_listed.total == 0


async def test_an_export_is_ready_at_once_or_fails(records) -> None:
    repo, _ = records
    mine = rows(Declaration, enterprise_id=ACME)
    cleared = next(d["entry_no"] for d in mine if d["cleared_on"] and not d["legacy"])
    result = await repo.apply(ACME, ApplicationKind.EXPORT, [cleared])
    assert [line.status for line in result.lines] == [statuses.EXPORT_READY]
    assert result.app_no and result.app_no.startswith("DC")


async def test_applications_are_checked(records) -> None:
    repo, _ = records
    with pytest.raises(ValueError):
        await repo.apply(ACME, ApplicationKind.PRINT, [f"{n:018d}" for n in range(51)], True)
    with pytest.raises(ValueError):
        await repo.apply(ACME, ApplicationKind.PRINT, ["0" * 18], signed=None)
    nothing = await repo.apply(OTHER, ApplicationKind.EXPORT, [rows(Declaration)[0]["entry_no"]])
    assert nothing.app_no is None and nothing.lines == []


async def test_delivery_is_confirmed_once_and_only_for_a_booked_delivery(records) -> None:
    repo, _ = records
    listed = {a.flag + a.status: a for a in (await repo.appointments(ACME)).items}
    booked = listed["交货" + statuses.APPOINTMENT_BOOKED]
    pickup = listed["提货" + statuses.APPOINTMENT_BOOKED]
    submitted = listed["交货" + statuses.APPOINTMENT_SUBMITTED]

    assert (
        await repo.confirm_delivery(OTHER, booked.business_no)
    ).outcome is ConfirmOutcome.UNKNOWN
    done = await repo.confirm_delivery(ACME, booked.business_no)
    assert done.outcome is ConfirmOutcome.CONFIRMED
    assert done.appointment.status == statuses.APPOINTMENT_EMPTY
    again = await repo.confirm_delivery(ACME, booked.business_no)
    assert again.outcome is ConfirmOutcome.ALREADY
    for appointment in (pickup, submitted):
        outcome = (await repo.confirm_delivery(ACME, appointment.business_no)).outcome
        assert outcome is ConfirmOutcome.NOT_BOOKED


async def test_vehicle_filings_by_plate(records) -> None:
    repo, _ = records
    filings = (await repo.vehicle_filings(ACME)).items
    assert {f.status for f in filings} == {"审核通过", "审核中", "审核不通过"}
    one = await repo.vehicle_filings(ACME, plate=filings[0].plate)
    assert [f.plate for f in one.items] == [filings[0].plate]
    assert (await repo.vehicle_filings(OTHER, plate=filings[0].plate)).total == 0


async def test_the_migration_creates_exactly_the_models(empty_records_url) -> None:
    engine = records_sessions(empty_records_url).kw["bind"]

    def differences(connection) -> list:
        context = MigrationContext.configure(
            connection, opts={"version_table": "records_alembic_version"}
        )
        return compare_metadata(context, RecordsBase.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
    await engine.dispose()


def test_make_run_seeds_an_empty_records_database_once(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    assert seed(url, TODAY) is True
    assert seed(url, TODAY) is False  # records there: left alone
