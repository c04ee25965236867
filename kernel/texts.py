"""User texts that more than one process says (polite Simplified Chinese).

Each process keeps its own texts beside its code (integrations/texts.py and a texts module per
channel, queue_service/identity/texts.py, the actions' replies); what the service and the card
bridge on users' PCs both say is here, once, so the two never drift apart.
"""

HOTLINE = "全国统一热线 95198"

# How a locked e-port card is unlocked: the card bridge says it when the PIN locks the card, the
# card desk when a locked card is refused or its session ends.
UNLOCK_HOW = (
    "解锁免费：请携带被锁卡、法人卡、营业执照复印件、持卡人身份证复印件、单位证明及经办人身份证原件，"
    "到所属海关或数据分中心的制卡点办理，也可在线申请后邮寄办理。"
)
