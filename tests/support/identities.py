"""Verified identities of the demo records' owners, as the hub vouches for them to the actions."""

from actions.records.demo import DEMO_CONSUMERS, DEMO_ENTERPRISES
from kernel.claims import Identity, Kind, Source

# 王小明, logged in on the portal.
ALICE = Identity(Kind.PERSON, DEMO_CONSUMERS[0].id, DEMO_CONSUMERS[0].name, Source.PORTAL)
# The first demo enterprise after a card-media login with its 法人卡: what applications need.
ACME_LEGAL_CARD = Identity(
    Kind.ENTERPRISE,
    DEMO_ENTERPRISES[0].id,
    "赵建国",
    Source.CARD,
    DEMO_ENTERPRISES[0].name,
    {"card_no": "8911000000001", "card_role": "legal"},
)
