"""`Records` over SQL (SQLite by default, PostgreSQL in production-like setups).

It also plays the back end's part where the records change by themselves: a print file being
made (制作中) is ready a little later, read lazily when the list is next asked for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from actions.records import statuses
from actions.records.models import (
    Application,
    ApplicationItem,
    Appointment,
    Declaration,
    Inventory,
    TaxBill,
    VehicleFiling,
)
from actions.records.money import from_fen, rate_from_bp
from actions.records.repository import (
    MAX_ENTRY_NUMBERS,
    PAGE_SIZE,
    ApplicationKind,
    ApplicationLine,
    ApplicationResult,
    AppointmentLine,
    Confirmation,
    ConfirmOutcome,
    InventoryDetail,
    InventoryLine,
    InventorySummary,
    Page,
    Period,
    Quota,
    TaxBillDetail,
    TaxBillSummary,
    TaxLine,
    VehicleLine,
)
from actions.records.taxes import ANNUAL_LIMIT
from kernel.clock import CHINA_TZ
from kernel.sql import as_utc

RETURN_WINDOW = timedelta(days=30)
# How long the stand-in back end takes to make a print file.
DEFAULT_MAKING_TIME = timedelta(minutes=2)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ).astimezone(UTC)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return _day_start(period.first), _day_start(period.last + timedelta(days=1))


def _filtered(
    statement: Select, moment: Any, status_column: Any, period: Period | None, status: str | None
) -> Select:
    """Rows of the period (China dates, by `moment`) and of the status, when given."""
    if period:
        start, end = _bounds(period)
        statement = statement.where(moment >= start, moment < end)
    if status:
        statement = statement.where(status_column == status)
    return statement


def one_month_later(moment: datetime) -> datetime:
    """The same day of the next month (its last day if shorter), China time."""
    local = moment.astimezone(CHINA_TZ)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    for day in (local.day, 30, 29, 28):
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _inventory_summary(row: Inventory) -> InventorySummary:
    return InventorySummary(
        pre_entry_no=row.pre_entry_no,
        inventory_no=row.inventory_no,
        order_no=row.order_no,
        platform=row.platform,
        merchant=row.merchant,
        status=row.status,
        stored_at=as_utc(row.stored_at),
        total=from_fen(row.dutiable_total_fen),
        returned=row.returned_at is not None,
    )


def _tax_summary(row: TaxBill) -> TaxBillSummary:
    return TaxBillSummary(
        tax_no=row.tax_no,
        inventory_no=row.inventory_no,
        amount=from_fen(row.amount_fen),
        port=row.port,
        status=row.status,
        created_at=as_utc(row.created_at),
        paid_on=row.paid_on,
    )


def _appointment(row: Appointment) -> AppointmentLine:
    return AppointmentLine(
        business_no=row.business_no,
        appointment_no=row.appointment_no,
        plate=row.plate,
        flag=row.flag,
        kind=row.kind,
        status=row.status,
        entered_on=row.entered_on,
    )


class SqlRecords:
    def __init__(
        self,
        sessions: async_sessionmaker,
        clock: Callable[[], datetime] = _utc_now,
        making_time: timedelta = DEFAULT_MAKING_TIME,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._making_time = making_time

    async def _page(self, session: AsyncSession, statement: Select, page: int) -> tuple[list, int]:
        page = max(page, 1)
        total = await session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await session.scalars(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
        return list(rows), total or 0

    # --- consumers ---------------------------------------------------------------------

    async def quota(self, consumer_id: str, year: int) -> Quota:
        start, end = _bounds(Period(date(year, 1, 1), date(year, 12, 31)))
        statement = select(
            Inventory.dutiable_total_fen, Inventory.released_at, Inventory.returned_at
        ).where(
            Inventory.consumer_id == consumer_id,
            Inventory.status.in_(statuses.COUNTED_CLEARANCE),
            Inventory.released_at >= start,
            Inventory.released_at < end,
        )
        used_fen = orders = 0
        async with self._sessions() as session:
            for total_fen, released_at, returned_at in await session.execute(statement):
                if returned_at and as_utc(returned_at) - as_utc(released_at) <= RETURN_WINDOW:
                    continue
                used_fen += total_fen
                orders += 1
        used = from_fen(used_fen)
        return Quota(year, ANNUAL_LIMIT, used, max(ANNUAL_LIMIT - used, from_fen(0)), orders)

    async def inventories(
        self,
        consumer_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[InventorySummary]:
        statement = _filtered(
            select(Inventory).where(Inventory.consumer_id == consumer_id),
            Inventory.stored_at,
            Inventory.status,
            period,
            status,
        ).order_by(Inventory.stored_at.desc(), Inventory.pre_entry_no)
        async with self._sessions() as session:
            rows, total = await self._page(session, statement, page)
        return Page([_inventory_summary(r) for r in rows], total, max(page, 1))

    async def inventory(self, consumer_id: str, number: str) -> InventoryDetail | None:
        statement = (
            select(Inventory)
            .where(
                Inventory.consumer_id == consumer_id,
                (Inventory.pre_entry_no == number) | (Inventory.inventory_no == number),
            )
            .options(selectinload(Inventory.items))
        )
        async with self._sessions() as session:
            row = await session.scalar(statement)
        if row is None:
            return None
        lines = [
            InventoryLine(
                seq=i.seq,
                name=i.name,
                hs_code=i.hs_code,
                quantity=i.quantity,
                unit=i.unit,
                unit_price=from_fen(i.unit_price_fen),
                total=from_fen(i.total_fen),
                currency=row.currency,
                origin=i.origin,
            )
            for i in row.items
        ]
        return InventoryDetail(_inventory_summary(row), row.port, lines)

    async def tax_bills(
        self,
        consumer_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[TaxBillSummary]:
        statement = _filtered(
            select(TaxBill).where(TaxBill.consumer_id == consumer_id),
            TaxBill.created_at,
            TaxBill.status,
            period,
            status,
        ).order_by(TaxBill.created_at.desc(), TaxBill.tax_no)
        async with self._sessions() as session:
            rows, total = await self._page(session, statement, page)
        return Page([_tax_summary(r) for r in rows], total, max(page, 1))

    async def tax_bill(self, consumer_id: str, tax_no: str) -> TaxBillDetail | None:
        statement = (
            select(TaxBill)
            .where(TaxBill.consumer_id == consumer_id, TaxBill.tax_no == tax_no)
            .options(selectinload(TaxBill.items))
        )
        async with self._sessions() as session:
            row = await session.scalar(statement)
        if row is None:
            return None
        lines = [
            TaxLine(
                seq=i.seq,
                hs_code=i.hs_code,
                quantity=i.quantity,
                unit_price=from_fen(i.unit_price_fen),
                dutiable=from_fen(i.dutiable_fen),
                tariff_rate=rate_from_bp(i.tariff_rate_bp),
                tariff=from_fen(i.tariff_fen),
                consumption_rate=rate_from_bp(i.consumption_rate_bp),
                consumption=from_fen(i.consumption_fen),
                vat_rate=rate_from_bp(i.vat_rate_bp),
                vat=from_fen(i.vat_fen),
            )
            for i in row.items
        ]
        return TaxBillDetail(_tax_summary(row), lines)

    # --- enterprises -------------------------------------------------------------------

    async def _finish_making(self, session: AsyncSession, enterprise_id: str) -> None:
        """Print files whose making time has passed are ready now (the back end's part)."""
        now = self._clock()
        mine = select(Application.app_no).where(Application.enterprise_id == enterprise_id)
        for signed, ready in (
            (True, statuses.PRINT_SIGNED_READY),
            (False, statuses.PRINT_UNSIGNED_READY),
        ):
            of_kind = mine.where(Application.signed.is_(signed))
            await session.execute(
                update(ApplicationItem)
                .where(
                    ApplicationItem.app_no.in_(of_kind),
                    ApplicationItem.status == statuses.PRINT_IN_PROGRESS,
                    ApplicationItem.ready_at <= now,
                )
                .values(status=ready, generated_at=ApplicationItem.ready_at)
            )

    def _line(self, application: Application, item: ApplicationItem) -> ApplicationLine:
        until = one_month_later(as_utc(item.generated_at)) if item.generated_at else None
        return ApplicationLine(
            app_no=application.app_no,
            kind=ApplicationKind(application.kind),
            signed=application.signed,
            entry_no=item.entry_no,
            status=item.status,
            applied_at=as_utc(application.applied_at),
            available_until=until,
            expired=until is not None and self._clock() > until,
        )

    async def applications(
        self,
        enterprise_id: str,
        kind: ApplicationKind,
        period: Period | None = None,
        status: str | None = None,
        entry_nos: list[str] | None = None,
        page: int = 1,
    ) -> Page[ApplicationLine]:
        statement = _filtered(
            select(Application, ApplicationItem)
            .join(ApplicationItem, ApplicationItem.app_no == Application.app_no)
            .where(Application.enterprise_id == enterprise_id, Application.kind == kind.value),
            Application.applied_at,
            ApplicationItem.status,
            period,
            status,
        )
        if entry_nos:
            statement = statement.where(ApplicationItem.entry_no.in_(entry_nos))
        statement = statement.order_by(
            Application.applied_at.desc(), Application.app_no, ApplicationItem.entry_no
        )
        page = max(page, 1)
        async with self._sessions() as session, session.begin():
            await self._finish_making(session, enterprise_id)
            total = await session.scalar(select(func.count()).select_from(statement.subquery()))
            rows = await session.execute(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
            lines = [self._line(application, item) for application, item in rows]
        return Page(lines, total or 0, page)

    async def apply(
        self,
        enterprise_id: str,
        kind: ApplicationKind,
        entry_nos: list[str],
        signed: bool | None = None,
    ) -> ApplicationResult:
        """One application for the enterprise's declarations among `entry_nos`.

        Each declaration gets its own status: not cleared or from the old system cannot be
        made; a print is made a little later (制作中), an export is made at once.
        """
        wanted = list(dict.fromkeys(entry_nos))  # once each, in the order given
        if not 0 < len(wanted) <= MAX_ENTRY_NUMBERS:
            raise ValueError(f"1 to {MAX_ENTRY_NUMBERS} declaration numbers, got {len(wanted)}")
        if (kind is ApplicationKind.PRINT) != (signed is not None):
            raise ValueError("a print application says signed or not; an export does not")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            found = {
                d.entry_no: d
                for d in await session.scalars(
                    select(Declaration).where(
                        Declaration.enterprise_id == enterprise_id,
                        Declaration.entry_no.in_(wanted),
                    )
                )
            }
            unknown = [n for n in wanted if n not in found]
            if not found:
                return ApplicationResult(None, [], unknown)
            prefix = "DY" if kind is ApplicationKind.PRINT else "DC"
            application = Application(
                app_no=f"{prefix}{now.astimezone(CHINA_TZ):%Y%m%d}{secrets.randbelow(10**8):08d}",
                enterprise_id=enterprise_id,
                kind=kind.value,
                signed=signed,
                applied_at=now,
            )
            application.items = [self._new_item(found[n], kind, now) for n in wanted if n in found]
            session.add(application)
            lines = [self._line(application, item) for item in application.items]
        return ApplicationResult(application.app_no, lines, unknown)

    def _new_item(
        self, declaration: Declaration, kind: ApplicationKind, now: datetime
    ) -> ApplicationItem:
        item = ApplicationItem(entry_no=declaration.entry_no)
        makeable = declaration.cleared_on is not None and not declaration.legacy
        if kind is ApplicationKind.EXPORT:
            item.status = statuses.EXPORT_READY if makeable else statuses.EXPORT_FAILED
            item.generated_at = now if makeable else None
        elif declaration.legacy:
            item.status = statuses.PRINT_LEGACY
        elif declaration.cleared_on is None:
            item.status = statuses.PRINT_NOT_CLEARED
        else:
            item.status = statuses.PRINT_IN_PROGRESS
            item.ready_at = now + self._making_time
        return item

    async def vehicle_filings(
        self, enterprise_id: str, plate: str | None = None, page: int = 1
    ) -> Page[VehicleLine]:
        statement = select(VehicleFiling).where(VehicleFiling.enterprise_id == enterprise_id)
        if plate:
            statement = statement.where(VehicleFiling.plate == plate)
        statement = statement.order_by(VehicleFiling.filed_on.desc(), VehicleFiling.plate)
        async with self._sessions() as session:
            rows, total = await self._page(session, statement, page)
        lines = [VehicleLine(r.plate, r.vehicle_type, r.status, r.filed_on) for r in rows]
        return Page(lines, total, max(page, 1))

    async def appointments(
        self,
        enterprise_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[AppointmentLine]:
        statement = select(Appointment).where(Appointment.enterprise_id == enterprise_id)
        if period:
            statement = statement.where(
                Appointment.entered_on >= period.first, Appointment.entered_on <= period.last
            )
        if status:
            statement = statement.where(Appointment.status == status)
        statement = statement.order_by(Appointment.entered_on.desc(), Appointment.business_no)
        async with self._sessions() as session:
            rows, total = await self._page(session, statement, page)
        return Page([_appointment(r) for r in rows], total, max(page, 1))

    async def appointment(self, enterprise_id: str, business_no: str) -> AppointmentLine | None:
        statement = select(Appointment).where(
            Appointment.enterprise_id == enterprise_id, Appointment.business_no == business_no
        )
        async with self._sessions() as session:
            row = await session.scalar(statement)
        return _appointment(row) if row else None

    async def confirm_delivery(self, enterprise_id: str, business_no: str) -> Confirmation:
        """Confirm that the vehicle has delivered, so that it may leave (空车成功); once."""
        mine = (Appointment.enterprise_id == enterprise_id) & (
            Appointment.business_no == business_no
        )
        async with self._sessions() as session, session.begin():
            changed = await session.execute(
                update(Appointment)
                .where(
                    mine,
                    Appointment.status == statuses.APPOINTMENT_BOOKED,
                    Appointment.flag.in_(statuses.CONFIRMABLE_FLAGS),
                )
                .values(status=statuses.APPOINTMENT_EMPTY, confirmed_at=self._clock())
            )
            row = await session.scalar(select(Appointment).where(mine))
        if row is None:
            return Confirmation(ConfirmOutcome.UNKNOWN, None)
        if changed.rowcount == 1:
            outcome = ConfirmOutcome.CONFIRMED
        elif row.status == statuses.APPOINTMENT_EMPTY:
            outcome = ConfirmOutcome.ALREADY
        else:
            outcome = ConfirmOutcome.NOT_BOOKED
        return Confirmation(outcome, _appointment(row))
