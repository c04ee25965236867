"""The records schema, with the fields the Single Window's manuals show.

Every record hangs off its owner (a consumer or an enterprise) and every query filters by that
owner, so that a guessed number cannot reach someone else's record. Money is kept as integer
fen and rates as integer basis points: exact on every database (SQLite has no decimal type).
Its own declarative base and Alembic history: the records are another system's data, not the
service's, and may live in another database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class RecordsBase(DeclarativeBase):
    pass


class Consumer(RecordsBase):
    """A person who buys through cross-border e-commerce (跨境电商个人用户)."""

    __tablename__ = "consumers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the portal's person id
    name: Mapped[str] = mapped_column(String(40))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)  # 身份证号


class Inventory(RecordsBase):
    """A clearance inventory (进境清单): one order of one consumer, as declared to customs."""

    __tablename__ = "inventories"
    __table_args__ = (Index("ix_inventories_consumer", "consumer_id", "stored_at"),)

    pre_entry_no: Mapped[str] = mapped_column(String(18), primary_key=True)  # 预录入编号
    inventory_no: Mapped[str] = mapped_column(String(18), unique=True)  # 清单编号
    order_no: Mapped[str] = mapped_column(String(40))  # 订单编号
    consumer_id: Mapped[str] = mapped_column(ForeignKey("consumers.id"))
    platform: Mapped[str] = mapped_column(String(60))  # 电商平台
    merchant: Mapped[str] = mapped_column(String(60))  # 电商企业
    port: Mapped[str] = mapped_column(String(20))  # 申报口岸
    status: Mapped[str] = mapped_column(String(4))  # 通关状态 code, see statuses.CLEARANCE
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # 入库时间
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A return that reached the supervised site within 30 days of release restores the quota.
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dutiable_total_fen: Mapped[int] = mapped_column(BigInteger)  # 完税总价 of the order
    currency: Mapped[str] = mapped_column(String(10), default="人民币")

    items: Mapped[list[InventoryItem]] = relationship(
        order_by="InventoryItem.seq", lazy="raise", cascade="all, delete-orphan"
    )


class InventoryItem(RecordsBase):
    __tablename__ = "inventory_items"

    pre_entry_no: Mapped[str] = mapped_column(
        ForeignKey("inventories.pre_entry_no"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))  # 商品名称
    hs_code: Mapped[str] = mapped_column(String(10))  # 商品编号 / 商品编码
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))  # 计量单位
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(20))  # 原产国(地区)


class TaxBill(RecordsBase):
    """An electronic tax bill (电子税单) computed from an inventory."""

    __tablename__ = "tax_bills"
    __table_args__ = (Index("ix_tax_bills_consumer", "consumer_id", "created_at"),)

    tax_no: Mapped[str] = mapped_column(String(20), primary_key=True)  # 税款编号
    inventory_no: Mapped[str] = mapped_column(ForeignKey("inventories.inventory_no"))
    consumer_id: Mapped[str] = mapped_column(ForeignKey("consumers.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # 金额: the tax due
    port: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(2))  # see statuses.TAX_BILL
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(Date)  # 入库日期

    items: Mapped[list[TaxBillItem]] = relationship(
        order_by="TaxBillItem.seq", lazy="raise", cascade="all, delete-orphan"
    )


class TaxBillItem(RecordsBase):
    __tablename__ = "tax_bill_items"

    tax_no: Mapped[str] = mapped_column(ForeignKey("tax_bills.tax_no"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    hs_code: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    dutiable_fen: Mapped[int] = mapped_column(BigInteger)  # 完税总价
    tariff_rate_bp: Mapped[int] = mapped_column(Integer)
    tariff_fen: Mapped[int] = mapped_column(BigInteger)
    consumption_rate_bp: Mapped[int] = mapped_column(Integer)
    consumption_fen: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    vat_fen: Mapped[int] = mapped_column(BigInteger)


class Enterprise(RecordsBase):
    __tablename__ = "enterprises"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the portal's enterprise id
    name: Mapped[str] = mapped_column(String(100))
    customs_code: Mapped[str] = mapped_column(String(10), unique=True)  # 海关编码
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码


class Declaration(RecordsBase):
    """A customs declaration (报关单) of which the enterprise is the consignee/consignor."""

    __tablename__ = "declarations"
    __table_args__ = (Index("ix_declarations_enterprise", "enterprise_id", "declared_on"),)

    entry_no: Mapped[str] = mapped_column(String(18), primary_key=True)  # 报关单号, 18 digits
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    direction: Mapped[str] = mapped_column(String(1))  # I import, E export
    declared_on: Mapped[date] = mapped_column(Date)
    cleared_on: Mapped[date | None] = mapped_column(Date)  # 结关: None while customs work on it
    # Declarations from the old system have no layout file the print service can make.
    legacy: Mapped[bool] = mapped_column(Boolean, default=False)


class Application(RecordsBase):
    """A self-service print (自助打印) or post-clearance export (结关后数据导出) application."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_enterprise", "enterprise_id", "applied_at"),)

    app_no: Mapped[str] = mapped_column(String(20), primary_key=True)  # 申请编号
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(8))  # print / export
    signed: Mapped[bool | None] = mapped_column(Boolean)  # 有签章 / 无签章; None for exports
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    items: Mapped[list[ApplicationItem]] = relationship(
        order_by="ApplicationItem.entry_no", lazy="raise", cascade="all, delete-orphan"
    )


class ApplicationItem(RecordsBase):
    """One declaration of an application, with its own status (some may fail, others not)."""

    __tablename__ = "application_items"

    app_no: Mapped[str] = mapped_column(ForeignKey("applications.app_no"), primary_key=True)
    entry_no: Mapped[str] = mapped_column(ForeignKey("declarations.entry_no"), primary_key=True)
    status: Mapped[str] = mapped_column(String(1))  # statuses.PRINT or statuses.EXPORT code
    # While 制作中: when the back end will have made the file.
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VehicleFiling(RecordsBase):
    """A vehicle filed for Daxing airport's cargo area (车辆备案)."""

    __tablename__ = "vehicle_filings"
    __table_args__ = (Index("ix_vehicle_filings_enterprise", "enterprise_id", "plate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    plate: Mapped[str] = mapped_column(String(10))  # 车牌号
    vehicle_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(8))  # see statuses.VEHICLE
    filed_on: Mapped[date] = mapped_column(Date)


class Appointment(RecordsBase):
    """A pickup/delivery appointment at the airport cargo area (提交货预约)."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_enterprise", "enterprise_id", "entered_on"),)

    business_no: Mapped[str] = mapped_column(String(30), primary_key=True)  # 业务统一编号
    appointment_no: Mapped[str] = mapped_column(String(20))  # 提交货预约编号
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    plate: Mapped[str] = mapped_column(String(10))
    flag: Mapped[str] = mapped_column(String(4))  # 提交货标志: 提货 / 交货 / 空车
    kind: Mapped[str] = mapped_column(String(4))  # 申报类型: 普通 / 作业
    status: Mapped[str] = mapped_column(String(8))  # 申报状态, see statuses.APPOINTMENT
    entered_on: Mapped[date] = mapped_column(Date)  # 录入日期
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
