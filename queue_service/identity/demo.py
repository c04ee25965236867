"""The demo portal's accounts: the owners of the records demo data (actions/records/demo.py).

Subjects are the records' owner ids, so that the action server finds these users' records; a
unit test checks they match the demo data. Kept here rather than imported from `actions`, which
the service does not depend on.
"""

from __future__ import annotations

from kernel.claims import Identity, Kind, Source

DEMO_ACCOUNTS: tuple[Identity, ...] = (
    Identity(Kind.PERSON, "person-demo-1", "王小明", Source.PORTAL),
    Identity(Kind.PERSON, "person-demo-2", "李小红", Source.PORTAL),
    Identity(Kind.ENTERPRISE, "ent-demo-1", "赵建国", Source.PORTAL, "北京示例进出口有限公司"),
    Identity(Kind.ENTERPRISE, "ent-demo-2", "孙丽", Source.PORTAL, "天津示例国际物流有限公司"),
)

# How long a demo login lasts.
DEMO_TOKEN_TTL_S = 3600


def demo_account(subject: str) -> Identity | None:
    return next((a for a in DEMO_ACCOUNTS if a.subject == subject), None)
