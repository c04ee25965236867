"""Status codes of the records, the names the Single Window shows, and what a user should do.

The print and export codes are exactly those of the 报关单证查询打印 manual. Clearance codes are
the ones consumers see (800 released, 100 returned by customs); tax bill, vehicle filing and
appointment statuses are the names the screens show.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    code: str
    name: str
    advice: str  # what it means for the user and what to do, in polite Chinese


def _table(*statuses: Status) -> dict[str, Status]:
    return {s.code: s for s in statuses}


PRINT_UNSIGNED_READY = "0"
PRINT_SIGNED_READY = "1"
PRINT_NOT_CLEARED = "2"
PRINT_IN_PROGRESS = "3"
PRINT_LEGACY = "4"

PRINT = _table(
    Status(
        PRINT_UNSIGNED_READY,
        "无签章已生成",
        "无签章版式文件已生成，可在“自助打印/导出”中导出、打印或查看操作记录。"
        "文件只保存一个自然月，过期需重新申请。",
    ),
    Status(
        PRINT_SIGNED_READY,
        "有签章已生成",
        "有签章版式文件已生成，可在“自助打印/导出”中导出、打印或查看操作记录。"
        "文件只保存一个自然月，过期需重新申请。",
    ),
    Status(
        PRINT_NOT_CLEARED,
        "海关作业流程未完结",
        "该报关单海关作业尚未完结（未结关），暂时无法生成。请在结关后重新提交自助打印申请。",
    ),
    Status(
        PRINT_IN_PROGRESS,
        "制作中",
        "版式文件正在制作，请稍后再查询；生成后状态会变为“有签章已生成”或“无签章已生成”。",
    ),
    Status(
        PRINT_LEGACY,
        "旧版本暂不支持",
        "该报关单为旧版本数据，暂不支持自助打印。如需纸质单证，请联系申报地海关。",
    ),
)

EXPORT_READY = "1"
EXPORT_FAILED = "2"

EXPORT = _table(
    Status(
        EXPORT_READY,
        "数据已生成",
        "结关后报关单数据已生成，可在“自助打印/导出”中导出。数据只保存一个自然月，过期需重新申请。",
    ),
    Status(
        EXPORT_FAILED,
        "数据生成失败",
        "该报关单数据生成失败，“导出”按钮不可用。请确认报关单已结关后重新申请导出。",
    ),
)

CLEARANCE = _table(
    Status("120", "海关入库", "清单已由海关接收入库，正在审核，请耐心等待。"),
    Status(
        "300", "人工审核", "清单正在海关人工审核中，请耐心等待；如需补充材料，电商企业会联系您。"
    ),
    Status("500", "查验", "商品正在接受海关查验，查验完成后会继续放行流程。"),
    Status("800", "放行", "清单已放行，商品正在配送；放行金额计入您的年度个人额度。"),
    Status("899", "结关", "清单已结关，通关手续全部完成。"),
    Status(
        "100",
        "海关退单",
        "清单被海关退回（例如超过个人额度或信息不一致），不计入额度。请联系电商企业了解原因。",
    ),
)
# Released or cleared: what counts toward the year's quota.
COUNTED_CLEARANCE = ("800", "899")

TAX_BILL = _table(
    Status("1", "已生成", "税单已生成，税款由电商企业或其代理人代收代缴。"),
    Status("2", "已入库", "税款已缴入国库，入库日期即缴款日期。"),
    Status("3", "已作废", "税单已作废（例如清单被退回或撤销），无需缴纳。"),
)

VEHICLE = _table(
    Status("审核中", "审核中", "车辆备案已申报，正在审核；审核结果会发送到单一窗口，请稍后查询。"),
    Status("审核通过", "审核通过", "车辆备案已通过，可以办理提/交货预约。"),
    Status(
        "审核不通过",
        "审核不通过",
        "车辆备案未通过审核，请核对车辆信息（黄色底纹为必填项）后修改并重新申报。",
    ),
)

APPOINTMENT_SUBMITTED = "提交"
APPOINTMENT_BOOKED = "预约成功"
APPOINTMENT_EMPTY = "空车成功"
# Delivery confirmation is for a vehicle that delivered (or came empty), not for a pickup.
CONFIRMABLE_FLAGS = ("交货", "空车")

APPOINTMENT = _table(
    Status(APPOINTMENT_SUBMITTED, "提交", "预约已提交，正在处理，请稍后查询是否预约成功。"),
    Status(
        APPOINTMENT_BOOKED,
        "预约成功",
        "预约成功，车辆可按预约进入货站。交货完成后务必办理交货确认，否则卡口无法抬杆，车辆不能出区。",
    ),
    Status(APPOINTMENT_EMPTY, "空车成功", "交货已确认，空车可正常出区。"),
)


# How users name some statuses in their own words, by table.
ALIASES: dict[int, dict[str, str]] = {
    id(PRINT): {"未结关": PRINT_NOT_CLEARED, "未完结": PRINT_NOT_CLEARED, "旧版本": PRINT_LEGACY},
    id(EXPORT): {"生成失败": EXPORT_FAILED, "失败": EXPORT_FAILED},
}


def named_in(text: str, table: dict[str, Status]) -> Status | None:
    """The status of `table` the text names (the longest name found), None if none."""
    names = {s.name: s for s in table.values()}
    names.update({alias: table[code] for alias, code in ALIASES.get(id(table), {}).items()})
    found = [name for name in names if name in text]
    return names[max(found, key=len)] if found else None
