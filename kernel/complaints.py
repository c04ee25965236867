"""Complaint words: acknowledged politely, then left out so the problem inside is still answered.

"你们的系统太烂了，天天登不上" is a login problem wrapped in a complaint. The NLU featurizer
(nlu_components/folding.py) drops these words so the selector matches the problem alone, and the
FAQ action (actions/faq/actions.py) opens its reply with an apology when they were there.
Plain standard-library Python: the Rasa environment imports it too.
"""

from __future__ import annotations

import re

_COMPLAINT = re.compile(
    r"太烂了?|真烂|好烂|烂透了?|垃圾网站|垃圾系统|垃圾|什么破系统|破系统|破网站|气死我了|气死了?|"
    r"太差了?|太过分了?|烦死了?|效率太低了?|太坑了?|坑人|差评|我要投诉|投诉|我已经很生气了|很生气|"
    r"太难用了?|难用死了|什么破|破客服|破机器人|破软件|破平台|破app"
)


def is_complaint(text: str) -> bool:
    return bool(_COMPLAINT.search(text))


def strip(text: str) -> str:
    """`text` without its complaint words."""
    return _COMPLAINT.sub(" ", text)
