"""Text folding and character n-grams, shared by the Rasa featurizer and offline experiments.

Plain Python (no Rasa import), so bench/nlu_offline.py can use exactly what the model sees.
"""

import re
import unicodedata

from kernel.complaints import strip
from kernel.numbers import mask

# Typos and homophones users type for the words the FAQ is written with (the IME offers both).
# Folded one way, so the trained and the typed spelling share their n-grams.
HOMOPHONES = (
    ("登陆", "登录"),
    ("在那里", "在哪里"),
    ("在那", "在哪"),
    ("帐号", "账号"),
    ("帐户", "账户"),
    ("密玛", "密码"),
    ("秘码", "密码"),
    ("初使", "初始"),
    ("咋", "怎么"),
    ("啥", "什么"),
    ("神马", "什么"),
    ("么有", "没有"),
    ("木有", "没有"),
    ("莫有", "没有"),
    ("u盾", "ukey"),
)
# Ways of saying "without" folded into 无, so 不带签章 / 没有签章 / 无签章 and 没有卡 / 无卡 share
# their n-grams (有/无 is all that tells several pairs of entries apart). Applied after the typos,
# so 木有 → 没有 → 无. 不要 and 不需要 are left alone: they sit inside 要不要 and 需不需要.
NEGATIONS = (("没有", "无"), ("不带", "无"), ("不盖", "无"))
# Traditional characters of the FAQ's vocabulary, for users writing in traditional Chinese.
TRADITIONAL = str.maketrans(
    dict(
        " ".join(
            (
                "錄录 帳账 號号 碼码 單单 報报 關关 註注 冊册 電电 質质 預预 約约 貨货 車车",
                "機机 場场 稅税 導导 證证 網网 頁页 戶户 辦办 麼么 麽么 員员 開开 業业 務务",
                "權权 問问 題题 實实 據据 時时 間间 詢询 請请 記记 設设 統统 編编 輸输 認认",
                "驗验 複复 製制 還还 樣样 個个 點点 擊击 載载 係系 軟软 體体 裝装 讀读 憑凭",
                "離离 線线 區区 進进 為为 鎖锁 陸陆 裡里 裏里 嗎吗 會会 這这 們们 沒没 給给",
                "綁绑 換换 補补 領领 丟丢 護护 滿满 額额 購购 費费 幫帮 聯联 繫系 處处 過过",
            )
        ).split()
    )
)
_PUNCTUATION = re.compile(r"[\s\W_]+")


def fold(text: str) -> str:
    """Width, case, punctuation, traditional characters, homophone typos and negations folded.

    Phone numbers, plates and record numbers are dropped (kernel/numbers.py): their digits
    say nothing about which entry is asked for, yet outweighed the words of short questions.
    So are complaint words (kernel/complaints.py): the problem inside a complaint is matched.
    """
    folded = _PUNCTUATION.sub("", strip(mask(unicodedata.normalize("NFKC", text))))
    folded = folded.translate(TRADITIONAL)
    for typed, written in HOMOPHONES + NEGATIONS:
        folded = folded.replace(typed, written)
    return folded


def normalise(text: str) -> str:
    """Width, case and punctuation folded, nothing else (as `actions.faq.knowledge.normalise`,
    which the action server keeps for itself): the learned boundary's n-grams and the boundary
    bench's near-duplicate check."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).lower())


def ngrams(text: str, smallest: int, largest: int) -> list[str]:
    return [
        text[start : start + size]
        for size in range(smallest, largest + 1)
        for start in range(len(text) - size + 1)
    ]
