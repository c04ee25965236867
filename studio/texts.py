"""What the knowledge studio tells maintainers (Simplified Chinese), and the loader's rules
(actions/faq/knowledge.py, written in English for developers) said in their words."""

from __future__ import annotations

import re

from pydantic import ValidationError

from actions.faq.knowledge import (
    MAX_ANSWER_CHARS,
    MAX_RELATED,
    MAX_TITLE_CHARS,
    MIN_HELDOUT,
    MIN_PHRASINGS,
)

CONFLICT = (
    "该条目已被{author}于{when}修改（当前为第 {version} 版），您的修改未保存。"
    "请查看最新内容后重新修改。"
)
CREATED_MEANWHILE = "条目编号“{id}”已存在，请换一个编号。"
NOT_FOUND = "该条目不存在。"
VERSION_NOT_FOUND = "该条目没有第 {version} 版。"
REVISION_NOT_FOUND = "没有第 {revision} 次修订。"
NO_SUCH_CATEGORY = "分类“{category}”不存在。"
TITLE_EMPTY = "请填写标题（问题）。"
ANSWER_EMPTY = "请填写答案。"
ALREADY_RETIRED = "该条目已停用。"
NOT_RETIRED = "该条目未停用，无需恢复。"
STILL_RELATED = "以下条目的“相关问题”引用了该条目：{entries}。请先修改这些条目，再停用它。"
INVALID = "知识库校验未通过：{detail}"
RANK_INVALID = "排序须为 1 及以上的整数。"

# pydantic's error types and the field they concern -> the maintainer's words.
_FIELD_TEXTS = {
    ("id", "string_pattern_mismatch"): "条目编号只能由小写英文字母、数字和下划线组成，以字母开头。",
    ("id", "string_too_long"): "条目编号最多 40 个字符。",
    ("title", "string_too_long"): f"标题请控制在 {MAX_TITLE_CHARS} 字以内（按钮上要显示完整）。",
    ("answer", "string_too_long"): f"答案请控制在 {MAX_ANSWER_CHARS} 字以内。",
    ("phrasings", "too_short"): f"相似问法至少需要 {MIN_PHRASINGS} 条。",
    ("heldout", "too_short"): f"测试问法至少需要 {MIN_HELDOUT} 条。",
    ("related", "too_long"): f"相关问题最多 {MAX_RELATED} 个。",
    ("related", "string_pattern_mismatch"): "相关问题须填写条目编号。",
    ("topic", "string_pattern_mismatch"): "追问主题只能由小写英文字母、数字和下划线组成。",
    ("phrasings", "string_too_short"): "相似问法不能为空行。",
    ("heldout", "string_too_short"): "测试问法不能为空行。",
    ("subject", "string_too_short"): "主题对象不能为空。",
}

# The loader's cross-entry messages (ValueError texts) -> the maintainer's words.
_RULES = [
    (
        r"held-out phrasings also trained on: (.*)",
        "以下问法已是本条目的测试问法（不参与训练，用于衡量准确率），不能同时作为相似问法：{0}",
    ),
    (
        r"fresh phrasings also trained or held out: (.*)",
        "以下问法已是本条目的新测试问法，不能再作为相似问法或测试问法：{0}",
    ),
    (r"an entry cannot be related to itself", "相关问题不能包含条目自己。"),
    (r"topic and subject go together", "追问主题和主题对象需要同时填写，或同时留空。"),
    (r"duplicate entry ids: (.*)", "条目编号重复：{0}"),
    (
        r"(\w+): related entries do not exist: (.*)",
        "条目 {0} 的相关问题中有不存在或已停用的条目：{1}",
    ),
    (
        r"phrasing '(.*)' is in both (\w+) and (\w+)",
        "问法“{0}”同时出现在条目 {1} 和 {2} 中，一个问法只能属于一个条目。",
    ),
    (
        r"out-of-scope phrasing '(.*)' is also an FAQ phrasing",
        "问法“{0}”已列为“不在服务范围内的问题”，不能再作为条目的问法。",
    ),
    (
        r"(\w+): its own phrasing '(.*)' fails a subject check.*",
        "条目 {0} 的问法“{1}”提到了该类问题排除的对象（主题检查），机器人不会用本条目回答它；"
        "请改写问法，或联系开发人员调整主题检查。",
    ),
]


def rule_text(message: str) -> str:
    """One of the loader's messages in Chinese (the English kept when no rule matches it)."""
    message = message.removeprefix("Value error, ")
    for pattern, text in _RULES:
        match = re.fullmatch(pattern, message, flags=re.DOTALL)
        if match:
            return text.format(*match.groups())
    return INVALID.format(detail=message)


def validation_text(error: ValidationError) -> str:
    """The first problem pydantic found, as the maintainer should read it."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    known = _FIELD_TEXTS.get((field, first["type"]))
    return known or rule_text(str(first["msg"]))
