"""Complaint words: acknowledged politely, then left out so the problem inside is still answered.

"你们的系统太烂了，天天登不上" is a login problem wrapped in a complaint. The NLU featurizer
(nlu_components/folding.py) drops these words so the selector matches the problem alone, and the
FAQ action (actions/faq/actions.py) opens its reply with an apology when they were there.
A demand to escalate ("我要找领导", "叫你们经理来") is a complaint too (issue 17, fifth round):
no FAQ entry answers it; it is acknowledged and offered a person (转人工).
Plain standard-library Python: the Rasa environment imports it too.
"""

from __future__ import annotations

import re

_COMPLAINT = re.compile(
    r"太烂了?|真烂|好烂|烂透了?|垃圾网站|垃圾系统|垃圾|什么破系统|破系统|破网站|气死我了|气死了?|"
    r"太差了?|太过分了?|烦死了?|效率太低了?|太坑了?|坑人|差评|我要投诉|投诉|我已经很生气了|很生气|"
    r"太难用了?|难用死了|什么破|破客服|破机器人|破软件|破平台|破app|"
    r"无语|打一星|一星|差劲|闹心|白问了?|浪费(我的?)?时间|反人类|"
    # Thirteenth round, by kind: futility (asked in vain, answered beside the point), exasperation
    # and insults, buck-passing. Not "有什么用" alone: "法人卡有什么用" is a question.
    r"等于白问|问了你?半天|说了半天|答非所问|(?:牛头|驴唇)不对马嘴|一点用[都也]没有|没一点用|有个?屁用|"
    r"要你何用|(?:客服|机器人|你们?)(?:到底)?有(?:什么|啥)用|"
    r"真服了|我服了|服了你|心累|无力吐槽|什么鬼|离谱|坑爹|智障|弱智|废物|谁设计的|"
    r"(?:互相)?踢皮球|(?:互相)?推诿|推来推去|扯皮|"
    # Fifteenth round: a rating's intensifiers (非常差, 没有之一) and an assistant that cannot
    # answer (问啥都答不上来, 还好意思叫智能): not "我啥都不知道", a user who asks.
    r"非常差|极差|差到家了?|没有之一|问(?:啥|什么)都(?:答不上来|不会|不懂|不知道|答非所问)|答不上来|一问三不知|"
    r"还好意思[^，,。！!？?]{0,8}|"
    # Sixteenth round: a service that exists only in name.
    r"(?:就是|纯属|完全是)?(?:个|一个)?摆设|形同虚设"
)
# Someone in charge asked for: 找/叫/见 + 领导, 经理, 主管…, not "找领导签字" (an approval) nor
# "主管海关" (the customs office in charge of a company, the FAQ's own words).
_ESCALATION = re.compile(
    r"(?:找|叫|见)(?:你们的?|贵方的?|你们这的?)?(?:领导|经理|主管|负责人|上级|老板|管事的)"
    r"(?!签|审|批|盖|海关)|升级投诉"
)


def is_complaint(text: str) -> bool:
    return bool(_COMPLAINT.search(text) or _ESCALATION.search(text))


def is_escalation(text: str) -> bool:
    """Whether the message asks for someone in charge: answered with 转人工, never an entry."""
    return bool(_ESCALATION.search(text))


def strip(text: str) -> str:
    """`text` without its complaint words."""
    return _ESCALATION.sub(" ", _COMPLAINT.sub(" ", text))
