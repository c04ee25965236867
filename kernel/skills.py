"""The agent skills a waiting user can be routed to, with the names users and agents see."""

from enum import StrEnum


class Skill(StrEnum):
    DECLARATION = "declaration"
    AIRPORT = "airport"
    CROSS_BORDER = "cross_border"
    ACCOUNT = "account"
    OTHER = "other"


SKILL_TITLES: dict[Skill, str] = {
    Skill.DECLARATION: "通关/货物申报",
    Skill.AIRPORT: "空港物流",
    Skill.CROSS_BORDER: "跨境电商",
    Skill.ACCOUNT: "账号与卡介质",
    Skill.OTHER: "其他",
}
