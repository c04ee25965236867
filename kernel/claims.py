"""A verified identity: the owner whose records a user may see, and how we know.

Kept open for the e-port card (法人卡 / 操作员卡): a card login adds a `card` claim to an
enterprise identity rather than being a new kind of user.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    PERSON = "person"  # a consumer (跨境电商个人用户): owns quota, tax bills, clearances
    ENTERPRISE = "enterprise"  # an enterprise user: owns declarations, applications, vehicles


# How agents see a card login's role (extras["card_role"], set by identity/card_login.py).
_CARD_LABELS = {"legal": "法人卡", "operator": "操作员卡"}


class Source(StrEnum):
    PORTAL = "portal"  # the host portal's signed token (web chat)
    BINDING = "binding"  # a WeChat / Telegram account bound with a one-time code
    CARD = "card"  # an e-port card in a local reader (issue: card-media identity)


@dataclass(frozen=True)
class Identity:
    kind: Kind
    subject: str  # the records owner: consumer id or enterprise id
    name: str  # what we call the user: a person's name, or the enterprise user's name
    source: Source
    enterprise_name: str | None = None
    # Extra proofs, e.g. {"card_no": ..., "card_role": "legal"}; empty for most users.
    extras: dict[str, str] = field(default_factory=dict)

    def to_claims(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {})}

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        """Raises ValueError (or KeyError/TypeError) on claims that are not an identity."""
        return cls(
            kind=Kind(claims["kind"]),
            subject=str(claims["subject"]),
            name=str(claims["name"]),
            source=Source(claims["source"]),
            enterprise_name=claims.get("enterprise_name"),
            extras=dict(claims.get("extras") or {}),
        )

    @property
    def addressed_as(self) -> str:
        """How a message addresses the user: 王小明, or 赵建国（北京示例进出口有限公司）."""
        if self.kind is Kind.ENTERPRISE and self.enterprise_name:
            return f"{self.name}（{self.enterprise_name}）"
        return self.name

    @property
    def label(self) -> str:
        """How agents see the user in the console, e.g. 王小明（个人） or 张三（北京示例…）."""
        if self.kind is Kind.PERSON:
            return f"{self.name}（个人，已验证）"
        card = _CARD_LABELS.get(self.extras.get("card_role", ""))
        suffix = f"，{card}" if card and self.source is Source.CARD else ""
        return f"{self.name}（{self.enterprise_name or self.subject}{suffix}）"
