"""Deterministic demo data for the records: a small set for tests and the demo portal's accounts,
a large one (10,000 consumers, 100,000 orders, 20,000 declarations) for benchmarks.

The same seed gives the same rows on every machine, so that tests can name records. Taxes are
computed by the cross-border rule from the items, in order, with each consumer's running total
for the year, as the real system would have taxed them.

    python -m actions.records.demo [--large] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from actions.records import statuses
from actions.records.db import upgrade
from actions.records.models import (
    Application,
    ApplicationItem,
    Appointment,
    Consumer,
    Declaration,
    Enterprise,
    Inventory,
    InventoryItem,
    TaxBill,
    TaxBillItem,
    VehicleFiling,
)
from actions.records.money import rate_to_bp, to_fen
from actions.records.taxes import Rates, item_tax, within_limits
from kernel.clock import CHINA_TZ
from kernel.sql import create_engine

SEED = 20261124
BATCH = 5000


@dataclass(frozen=True)
class Commodity:
    name: str
    hs_code: str
    unit: str
    price: Decimal  # typical unit price, yuan
    rates: Rates
    origin: str


def _commodity(line: str) -> Commodity:
    """'name hs_code unit price tariff% consumption% vat% origin'."""
    name, hs_code, unit, price, tariff, consumption, vat, origin = line.split()
    rates = Rates(*(Decimal(r) / 100 for r in (tariff, consumption, vat)))
    return Commodity(name, hs_code, unit, Decimal(price), rates, origin)


COMMODITIES = tuple(
    _commodity(line)
    for line in (
        "婴儿配方奶粉 1901101000 罐 228 15 0 9 新西兰",
        "面霜 3304990029 瓶 560 1 15 13 法国",
        "精华液 3304990029 瓶 890 1 15 13 日本",
        "口红 3304100091 支 320 1 15 13 法国",
        "维生素片 2106909090 瓶 158 12 0 13 澳大利亚",
        "电动牙刷 8509800090 个 499 5 0 13 德国",
        "运动鞋 6404110090 双 699 12 0 13 越南",
        "手提包 4202210090 个 2680 6 0 13 意大利",
        "葡萄酒 2204210000 瓶 268 14 10 13 智利",
        "坚果礼盒 2008199990 盒 129 5 0 9 美国",
    )
)
# 通关状态 of orders within the limits: mostly released or cleared.
CLEARANCE_CODES = ("899", "800", "120", "300", "500", "100")
CLEARANCE_WEIGHTS = (75, 12, 5, 3, 3, 2)
PLATFORMS = (
    ("天猫国际", "杭州某某跨境贸易有限公司"),
    ("京东国际", "北京某某国际商贸有限公司"),
    ("考拉海购", "宁波某某供应链管理有限公司"),
    ("唯品国际", "广州某某进出口有限公司"),
)
PORTS = ("北京海关", "杭州海关", "宁波海关", "广州海关", "天津海关")
CUSTOMS_DISTRICTS = ("0101", "0102", "0110", "2900", "5100")


@dataclass(frozen=True)
class DemoConsumer:
    id: str
    name: str
    id_number: str


@dataclass(frozen=True)
class DemoEnterprise:
    id: str
    name: str
    customs_code: str
    credit_code: str


DEMO_ORDERS = (24, 6)
DEMO_DECLARATIONS = 30
# The demo portal's accounts: well-known ids that tests and the demo page use.
DEMO_CONSUMERS = (
    DemoConsumer("person-demo-1", "王小明", "110101199003078515"),
    DemoConsumer("person-demo-2", "李小红", "110105198807124020"),
)
DEMO_ENTERPRISES = (
    DemoEnterprise("ent-demo-1", "北京示例进出口有限公司", "1101960001", "91110000MA01DEMO1X"),
    DemoEnterprise("ent-demo-2", "天津示例国际物流有限公司", "1201960002", "91120000MA02DEMO2Y"),
)


def id_number(rng: random.Random) -> str:
    """A well-formed (checksummed) resident ID number of an unused Beijing area code."""
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
    body = f"110199{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


@dataclass
class Rows:
    """Rows to insert, by model, in dependency order."""

    tables: dict[type, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            m: []
            for m in (
                Consumer,
                Enterprise,
                Inventory,
                InventoryItem,
                TaxBill,
                TaxBillItem,
                Declaration,
                Application,
                ApplicationItem,
                VehicleFiling,
                Appointment,
            )
        }
    )

    def add(self, model: type, **values: Any) -> None:
        self.tables[model].append(values)


class Generator:
    def __init__(self, today: date, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.rows = Rows()
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _moment(self, days_back: int) -> datetime:
        day = self.today - timedelta(days=days_back)
        local = datetime(day.year, day.month, day.day, 9, tzinfo=CHINA_TZ) + timedelta(
            minutes=self.rng.randrange(12 * 60)
        )
        return local.astimezone(UTC)

    # --- consumers -------------------------------------------------------------------

    def consumer(self, consumer: DemoConsumer, orders: int) -> None:
        self.rows.add(Consumer, id=consumer.id, name=consumer.name, id_number=consumer.id_number)
        # From two days ago back: today's orders would be stored in the future.
        moments = sorted(self._moment(self.rng.randrange(2, 700)) for _ in range(orders))
        used: dict[int, Decimal] = {}
        for declared_at in moments:
            self._order(consumer.id, declared_at, used)

    def _order(self, consumer_id: str, declared_at: datetime, used: dict[int, Decimal]) -> None:
        n = self._next()
        platform, merchant = self.rng.choice(PLATFORMS)
        port = self.rng.choice(PORTS)
        goods = self.rng.sample(COMMODITIES, self.rng.choice((1, 1, 1, 2, 2, 3)))
        lines = [(c, self.rng.choice((1, 1, 2, 3))) for c in goods]
        total = sum((c.price * q for c, q in lines), Decimal(0))
        year = declared_at.astimezone(CHINA_TZ).year
        if within_limits(total, used.get(year, Decimal(0))):
            status = self.rng.choices(CLEARANCE_CODES, CLEARANCE_WEIGHTS)[0]
        else:
            status = "100"  # over a limit: customs send it back (退单)
        stored_at = declared_at + timedelta(hours=self.rng.randrange(1, 20))
        released_at = stored_at + timedelta(hours=6) if status in ("800", "899") else None
        returned_at = None
        if released_at and self.rng.random() < 0.03:
            returned_at = released_at + timedelta(days=self.rng.randrange(3, 45))
        pre_entry_no = f"{n:018d}"
        inventory_no = f"{21000000000000 + n:018d}"
        self.rows.add(
            Inventory,
            pre_entry_no=pre_entry_no,
            inventory_no=inventory_no,
            order_no=f"ORD{declared_at:%Y%m%d}{n:08d}",
            consumer_id=consumer_id,
            platform=platform,
            merchant=merchant,
            port=port,
            status=status,
            declared_at=declared_at,
            stored_at=stored_at,
            released_at=released_at,
            returned_at=returned_at,
            dutiable_total_fen=to_fen(total),
            currency="人民币",
        )
        for seq, (c, quantity) in enumerate(lines, 1):
            self.rows.add(
                InventoryItem,
                pre_entry_no=pre_entry_no,
                seq=seq,
                name=c.name,
                hs_code=c.hs_code,
                quantity=quantity,
                unit=c.unit,
                unit_price_fen=to_fen(c.price),
                total_fen=to_fen(c.price * quantity),
                origin=c.origin,
            )
        if status == "100":
            return  # returned by customs: no tax bill, nothing used
        if not returned_at:
            used[year] = used.get(year, Decimal(0)) + total
        self._tax_bill(consumer_id, n, inventory_no, port, stored_at, lines, returned_at)

    def _tax_bill(
        self,
        consumer_id: str,
        n: int,
        inventory_no: str,
        port: str,
        created_at: datetime,
        lines: list[tuple[Commodity, int]],
        returned_at: datetime | None,
    ) -> None:
        tax_no = f"{22000000000000 + n:018d}"
        amount = Decimal(0)
        for seq, (c, quantity) in enumerate(lines, 1):
            dutiable = c.price * quantity
            tax = item_tax(dutiable, c.rates, within_limits=True)
            amount += tax.total
            self.rows.add(
                TaxBillItem,
                tax_no=tax_no,
                seq=seq,
                hs_code=c.hs_code,
                quantity=quantity,
                unit_price_fen=to_fen(c.price),
                dutiable_fen=to_fen(dutiable),
                tariff_rate_bp=rate_to_bp(tax.tariff_rate),
                tariff_fen=to_fen(tax.tariff),
                consumption_rate_bp=rate_to_bp(tax.consumption_rate),
                consumption_fen=to_fen(tax.consumption),
                vat_rate_bp=rate_to_bp(tax.vat_rate),
                vat_fen=to_fen(tax.vat),
            )
        if returned_at:
            status, paid_on = "3", None
        elif created_at.astimezone(CHINA_TZ).date() < self.today - timedelta(days=15):
            status, paid_on = "2", (created_at + timedelta(days=7)).astimezone(CHINA_TZ).date()
        else:
            status, paid_on = "1", None
        self.rows.add(
            TaxBill,
            tax_no=tax_no,
            inventory_no=inventory_no,
            consumer_id=consumer_id,
            amount_fen=to_fen(amount),
            port=port,
            status=status,
            created_at=created_at,
            paid_on=paid_on,
        )

    # --- enterprises -----------------------------------------------------------------

    def enterprise(self, enterprise: DemoEnterprise, declarations: int, logistics: bool) -> None:
        self.rows.add(
            Enterprise,
            id=enterprise.id,
            name=enterprise.name,
            customs_code=enterprise.customs_code,
            credit_code=enterprise.credit_code,
        )
        entry_nos = [self._declaration(enterprise.id) for _ in range(declarations)]
        cleared = [n for n in entry_nos if n is not None]
        for _ in range(min(3, len(cleared))):
            self._application(enterprise.id, self.rng.sample(cleared, min(2, len(cleared))))
        if logistics:
            self._vehicles_and_appointments(enterprise.id)

    def _declaration(self, enterprise_id: str) -> str | None:
        """An 18-digit number: customs district, year, 1 import / 0 export, serial."""
        days_back = self.rng.randrange(400)
        declared_on = self.today - timedelta(days=days_back)
        direction = self.rng.choice("IE")
        entry_no = (
            f"{self.rng.choice(CUSTOMS_DISTRICTS)}{declared_on.year}"
            f"{1 if direction == 'I' else 0}{self._next():09d}"
        )
        cleared = days_back > 3 and self.rng.random() < 0.95
        self.rows.add(
            Declaration,
            entry_no=entry_no,
            enterprise_id=enterprise_id,
            direction=direction,
            declared_on=declared_on,
            cleared_on=declared_on + timedelta(days=2) if cleared else None,
            legacy=self.rng.random() < 0.02,
        )
        return entry_no if cleared else None

    def _application(self, enterprise_id: str, entry_nos: list[str]) -> None:
        applied_at = self._moment(self.rng.randrange(1, 20))
        signed = self.rng.random() < 0.5
        app_no = f"DY{applied_at.astimezone(CHINA_TZ):%Y%m%d}{self._next():08d}"
        self.rows.add(
            Application,
            app_no=app_no,
            enterprise_id=enterprise_id,
            kind="print",
            signed=signed,
            applied_at=applied_at,
        )
        ready = statuses.PRINT_SIGNED_READY if signed else statuses.PRINT_UNSIGNED_READY
        for entry_no in entry_nos:
            made = applied_at + timedelta(minutes=5)
            self.rows.add(
                ApplicationItem,
                app_no=app_no,
                entry_no=entry_no,
                status=ready,
                ready_at=made,
                generated_at=made,
            )

    def _vehicles_and_appointments(self, enterprise_id: str) -> None:
        letters = "ABCEFGHJKLNPQ"
        plates = [f"京{self.rng.choice(letters)}{self.rng.randrange(10000, 99999)}" for _ in "1234"]
        filing_statuses = ("审核通过", "审核通过", "审核中", "审核不通过")
        for plate, status in zip(plates, filing_statuses, strict=True):
            self.rows.add(
                VehicleFiling,
                enterprise_id=enterprise_id,
                plate=plate,
                vehicle_type=self.rng.choice(("厢式货车", "普通货车", "冷藏车")),
                status=status,
                filed_on=self.today - timedelta(days=self.rng.randrange(5, 60)),
            )
        for i, (flag, status) in enumerate(
            (
                ("交货", statuses.APPOINTMENT_BOOKED),
                ("空车", statuses.APPOINTMENT_BOOKED),
                ("提货", statuses.APPOINTMENT_BOOKED),
                ("交货", statuses.APPOINTMENT_SUBMITTED),
                ("空车", statuses.APPOINTMENT_EMPTY),
            )
        ):
            entered_on = self.today - timedelta(days=i)
            self.rows.add(
                Appointment,
                business_no=f"T{entered_on:%Y%m%d}{self._next():014d}",
                appointment_no=f"1011{entered_on:%Y%m%d}{self.rng.randrange(10**6):06d}",
                enterprise_id=enterprise_id,
                plate=plates[i % 2],
                flag=flag,
                kind=self.rng.choice(("普通", "作业")),
                status=status,
                entered_on=entered_on,
                confirmed_at=None,
            )


def _spread(total: int, over: int) -> Iterator[int]:
    """`total` split into `over` near-equal whole parts."""
    for i in range(over):
        part = total // (over - i)
        total -= part
        yield part


def _demo_accounts(generator: Generator) -> None:
    for consumer, orders in zip(DEMO_CONSUMERS, DEMO_ORDERS, strict=True):
        generator.consumer(consumer, orders)
    for enterprise in DEMO_ENTERPRISES:
        generator.enterprise(enterprise, DEMO_DECLARATIONS, logistics=True)


def small(today: date) -> Rows:
    """The demo accounts with a handful of records each."""
    generator = Generator(today)
    _demo_accounts(generator)
    return generator.rows


def large(today: date, scale: float = 1.0) -> Rows:
    """The demo accounts plus 10,000 consumers, 100,000 orders and 20,000 declarations (at
    scale 1) spread over 200 enterprises, one in ten with airport logistics."""
    generator = Generator(today)
    _demo_accounts(generator)
    consumers, enterprises = round(10_000 * scale), round(200 * scale)
    orders = round(100_000 * scale) - sum(DEMO_ORDERS)
    declarations = round(20_000 * scale) - DEMO_DECLARATIONS * len(DEMO_ENTERPRISES)
    others = consumers - len(DEMO_CONSUMERS)
    taken = {c.id_number for c in DEMO_CONSUMERS}
    for i, count in enumerate(_spread(orders, others)):
        number = id_number(generator.rng)
        while number in taken:  # one ID number, one person
            number = id_number(generator.rng)
        taken.add(number)
        generator.consumer(DemoConsumer(f"person-{i:05d}", f"用户{i:05d}", number), count)
    for i, count in enumerate(_spread(declarations, enterprises)):
        company = DemoEnterprise(
            f"ent-{i:04d}",
            f"示例贸易{i:04d}有限公司",
            f"11019{i:05d}",
            f"9111000{i:04d}DEMO{i:03d}",
        )
        generator.enterprise(company, count, logistics=i % 10 == 0)
    return generator.rows


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def load(database_url: str, rows: Rows) -> dict[str, int]:
    """Insert the rows into an empty, migrated database; the counts by table."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for model, table in rows.tables.items():
                for batch in _batches(table):
                    await connection.execute(insert(model), batch)
    finally:
        await engine.dispose()
    return {model.__tablename__: len(table) for model, table in rows.tables.items()}


async def _is_empty(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return not (await connection.execute(select(Consumer.id).limit(1))).first()
    finally:
        await engine.dispose()


def seed(database_url: str, today: date | None = None) -> bool:
    """Migrate, and fill with the small demo set if empty (what `make run` starts with).

    Returns whether it loaded anything: a database with records is left alone.
    """
    upgrade(database_url)
    if not asyncio.run(_is_empty(database_url)):
        return False
    asyncio.run(load(database_url, small(today or datetime.now(CHINA_TZ).date())))
    return True


def main() -> int:
    from kernel.settings import shared_settings

    parser = argparse.ArgumentParser(description="Fill the records database with demo data")
    parser.add_argument("--database-url", default=shared_settings().records_database_url)
    parser.add_argument("--large", action="store_true", help="the benchmark set")
    args = parser.parse_args()
    upgrade(args.database_url)
    if not asyncio.run(_is_empty(args.database_url)):
        print(f"{args.database_url} already holds records; give an empty database's URL.")
        return 1
    today = datetime.now(CHINA_TZ).date()
    counts = asyncio.run(load(args.database_url, (large if args.large else small)(today)))
    print(", ".join(f"{table}={n}" for table, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
