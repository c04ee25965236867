"""The inbox's clustering (kernel/clusters.py) on questions as users type them: paraphrases of
one question together, different questions apart, however the numbers and the filler differ."""

import itertools

from kernel.clusters import cluster, fold, same_question, similarity, vectors
from kernel.privacy import mask_personal_numbers

# Each group is one question as users typed it (typos, extra words, punctuation, numbers that
# the transcript masked or that are record numbers); the groups are different questions, some
# sharing many characters (证书 / 密码, 报关单 / 舱单).
GROUPS = {
    "password": [
        "卡介质密码忘了怎么办",
        "请问卡介质密码忘记了怎么办？",
        "卡介质的密码忘了怎么办啊",
        "你好，卡介质密码忘了怎么办呢",
        "卡介质 密码忘了 怎么办!!",
        "卡介值密码忘了怎么办",  # a typo
    ],
    "certificate_expired": [
        "证书过期了怎么续期",
        "请问证书过期了怎么续期",
        "我的证书过期了要怎么续期？",
        "证书已经过期了怎么续期呢",
        "证书过期怎么续期",
    ],
    "declaration_status": [
        "报关单号123456789012345678状态怎么查",
        "报关单号 220120241000123456 的状态怎么查？",
        "请问报关单号223320231000999999状态怎么查询",
        "报关单号状态怎么查",
    ],
    "manifest_deleted": [
        "舱单删除了还能恢复吗",
        "舱单误删了还能恢复吗？",
        "请问舱单删除了能恢复吗",
    ],
    "phone_code": [
        mask_personal_numbers("手机号13812345678收不到验证码"),
        mask_personal_numbers("我的手机13987654321收不到验证码怎么办"),
        "手机收不到验证码",
        mask_personal_numbers("手机号 15000001111 一直收不到验证码"),
    ],
    # Shares 卡介质 and 怎么办 with "password", and is another question.
    "card_lost": [
        "卡介质丢了怎么办",
        "请问卡介质丢了怎么办？",
        "卡介质丢了咋办",
        "卡介质丢失了怎么办",
    ],
    "weather": ["今天天气怎么样", "今天天气怎么样啊？"],
    "invoice": ["电子发票在哪里下载", "请问电子发票在哪下载？", "电子发票哪里下载"],
}


def _counted() -> list[tuple[str, int]]:
    # Counts as a period would have them: the first wording most asked.
    return [(q, 10 - i) for group in GROUPS.values() for i, q in enumerate(group)]


def test_paraphrases_together_different_questions_apart() -> None:
    clusters = cluster(_counted())
    group_of = {q: name for name, group in GROUPS.items() for q in group}
    for found in clusters:
        names = {group_of[q] for q, _ in found.questions}
        assert len(names) == 1, f"different questions joined: {found.questions}"
    # Each question is one cluster (none split in two).
    assert len(clusters) == len(GROUPS), [c.questions for c in clusters]
    led = {c.text: c.count for c in clusters}
    assert led["卡介质密码忘了怎么办"] == sum(10 - i for i in range(6))


def test_masked_and_unmasked_numbers_fold_alike() -> None:
    masked = mask_personal_numbers("手机号13812345678收不到验证码")
    assert "1234" not in fold(masked) and "138" not in fold(masked)
    assert fold(masked) == fold("手机号 139 8765 4321 收不到验证码") == "手机号收不到验证码"


def test_a_stricter_threshold_splits() -> None:
    """The threshold decides (the test above would pass for any clustering that did nothing)."""
    assert len(cluster(_counted(), threshold=0.99)) > len(GROUPS) + 10


# Questions that share a long way of asking and differ in one word: character n-grams call them
# alike, and each is another question.
LOOK_ALIKE = [
    "报关单收费标准是多少",
    "快件报关收费标准是多少",
    "船舶申报收费标准是多少",
    "报关单怎么查询",
    "报关单怎么修改",
    "税费单被退回了什么原因",
    "出口退税被退回了什么原因",
]


def test_a_word_in_another_words_place_is_another_question() -> None:
    counted = [(q, 5) for q in LOOK_ALIKE]
    folded = [fold(q) for q in LOOK_ALIKE]
    # Alike enough by n-grams alone (else this test would not test the check) ...
    assert max(similarity(*pair) for pair in itertools.combinations(vectors(folded), 2)) > 0.4
    # ... and still apart, even at a threshold that joins anything sharing a gram.
    assert len(cluster(counted, threshold=0.01)) == len(LOOK_ALIKE)


def test_other_ways_of_asking_and_small_changes_are_the_same_question() -> None:
    same = [
        ("怎么修改绑定的手机号", "如何修改绑定的手机号"),
        ("税单可以自己打印吗", "税单能自己打印吗"),
        ("企业信息变更后要重新备案吗", "企业信息变更了需要重新备案吗"),
        ("证书过期了怎么续期", "证书已经过期了怎么续期"),
        ("卡介质密码忘了", "卡介值密码忘了"),
    ]
    for a, b in same:
        assert same_question(fold(a), fold(b)), (a, b)
    assert not same_question(fold("报关单怎么查询"), fold("报关单怎么修改"))
    assert not same_question(fold("卡介质密码忘了"), fold("卡介质丢了"))
