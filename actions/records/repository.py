"""What the self-service actions may ask of the Single Window's records.

Every call names its owner (the verified consumer or enterprise), first: an implementation
answers only from that owner's records and treats a number of someone else's exactly like a
number that does not exist, so that guessing reveals nothing. Money is in yuan (Decimal), times
are aware datetimes, dates are China dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")

PAGE_SIZE = 5  # what fits in a chat bubble; 更多 shows the next five
MAX_ENTRY_NUMBERS = 50  # per print/export application, as the manual says


@dataclass(frozen=True)
class Period:
    """China dates, both included."""

    first: date
    last: date


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int  # 1-based

    @property
    def has_more(self) -> bool:
        return self.page * PAGE_SIZE < self.total


# --- consumers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    year: int
    limit: Decimal
    used: Decimal  # released orders of the year, less those returned within 30 days
    remaining: Decimal
    orders: int  # how many orders count toward `used`


@dataclass(frozen=True)
class InventorySummary:
    pre_entry_no: str
    inventory_no: str
    order_no: str
    platform: str
    merchant: str
    status: str  # code, statuses.CLEARANCE
    stored_at: datetime
    total: Decimal
    returned: bool


@dataclass(frozen=True)
class InventoryLine:
    seq: int
    name: str
    hs_code: str
    quantity: int
    unit: str
    unit_price: Decimal
    total: Decimal
    currency: str
    origin: str


@dataclass(frozen=True)
class InventoryDetail:
    summary: InventorySummary
    port: str
    items: list[InventoryLine]


@dataclass(frozen=True)
class TaxBillSummary:
    tax_no: str
    inventory_no: str
    amount: Decimal
    port: str
    status: str  # code, statuses.TAX_BILL
    created_at: datetime
    paid_on: date | None


@dataclass(frozen=True)
class TaxLine:
    seq: int
    hs_code: str
    quantity: int
    unit_price: Decimal
    dutiable: Decimal
    tariff_rate: Decimal
    tariff: Decimal
    consumption_rate: Decimal
    consumption: Decimal
    vat_rate: Decimal
    vat: Decimal


@dataclass(frozen=True)
class TaxBillDetail:
    summary: TaxBillSummary
    items: list[TaxLine]


# --- enterprises -------------------------------------------------------------------------


class ApplicationKind(StrEnum):
    PRINT = "print"  # 自助打印报关单证申请
    EXPORT = "export"  # 结关后报关单数据导出申请


@dataclass(frozen=True)
class ApplicationLine:
    """One declaration of one application, as the 自助打印/导出 list shows it."""

    app_no: str
    kind: ApplicationKind
    signed: bool | None
    entry_no: str
    status: str  # code, statuses.PRINT or statuses.EXPORT
    applied_at: datetime
    # Until when the file can be exported or printed; None while there is no file.
    available_until: datetime | None
    expired: bool


@dataclass(frozen=True)
class ApplicationResult:
    app_no: str | None  # None when no number could be applied for
    lines: list[ApplicationLine]
    # Numbers that are not this enterprise's declarations (or do not exist: the same to us).
    unknown: list[str]


@dataclass(frozen=True)
class VehicleLine:
    plate: str
    vehicle_type: str
    status: str  # statuses.VEHICLE
    filed_on: date


@dataclass(frozen=True)
class AppointmentLine:
    business_no: str  # 业务统一编号
    appointment_no: str  # 提交货预约编号
    plate: str
    flag: str  # 提交货标志
    kind: str  # 申报类型
    status: str  # 申报状态, statuses.APPOINTMENT
    entered_on: date  # 录入日期


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # confirmed before: nothing changed
    NOT_BOOKED = "not_booked"  # not (yet) 预约成功, or not a delivery
    UNKNOWN = "unknown"  # not this enterprise's appointment


@dataclass(frozen=True)
class Confirmation:
    outcome: ConfirmOutcome
    appointment: AppointmentLine | None


class Records(Protocol):
    # Consumers (跨境电商个人查询)
    async def quota(self, consumer_id: str, year: int) -> Quota: ...

    async def inventories(
        self,
        consumer_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[InventorySummary]: ...

    async def inventory(self, consumer_id: str, number: str) -> InventoryDetail | None:
        """By 预录入编号 or 清单编号."""

    async def tax_bills(
        self,
        consumer_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[TaxBillSummary]: ...

    async def tax_bill(self, consumer_id: str, tax_no: str) -> TaxBillDetail | None: ...

    # Enterprises (报关单证查询打印, 空港物流)
    async def applications(
        self,
        enterprise_id: str,
        kind: ApplicationKind,
        period: Period | None = None,
        status: str | None = None,
        entry_nos: list[str] | None = None,
        page: int = 1,
    ) -> Page[ApplicationLine]: ...

    async def apply(
        self,
        enterprise_id: str,
        kind: ApplicationKind,
        entry_nos: list[str],
        signed: bool | None = None,
    ) -> ApplicationResult: ...

    async def vehicle_filings(
        self, enterprise_id: str, plate: str | None = None, page: int = 1
    ) -> Page[VehicleLine]: ...

    async def appointments(
        self,
        enterprise_id: str,
        period: Period | None = None,
        status: str | None = None,
        page: int = 1,
    ) -> Page[AppointmentLine]: ...

    async def appointment(self, enterprise_id: str, business_no: str) -> AppointmentLine | None: ...

    async def confirm_delivery(self, enterprise_id: str, business_no: str) -> Confirmation: ...
