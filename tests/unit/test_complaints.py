"""kernel/complaints.py: complaint words and demands to escalate (issue 17, fifth round)."""

import pytest

from kernel import complaints


@pytest.mark.parametrize("text", ["我要找领导", "叫你们经理来", "见你们负责人", "我要升级投诉"])
def test_a_demand_to_escalate_is_a_complaint(text: str) -> None:
    assert complaints.is_escalation(text) and complaints.is_complaint(text)


@pytest.mark.parametrize("text", ["这个要找领导签字吗", "去找主管海关的制卡点", "法人卡怎么解锁"])
def test_an_approval_or_the_customs_office_in_charge_is_no_escalation(text: str) -> None:
    assert not complaints.is_escalation(text)


@pytest.mark.parametrize("text", ["无语", "给你们打一星", "真是浪费我的时间", "设计得反人类"])
def test_the_fifth_rounds_complaint_words(text: str) -> None:
    assert complaints.is_complaint(text)


def test_escalation_words_are_stripped_for_the_selector() -> None:
    assert "领导" not in complaints.strip("额度不更新，我要找你们领导")


@pytest.mark.parametrize(
    "text",
    [
        "问了你半天等于白问",
        "答非所问，要你何用",
        "这机器人到底有啥用",
        "真服了，谁设计的",
        "两个部门互相踢皮球",
    ],
)
def test_the_thirteenth_rounds_complaint_words(text: str) -> None:
    """Futility, exasperation and buck-passing, by kind (issue 17, round 13)."""
    assert complaints.is_complaint(text)


@pytest.mark.parametrize("text", ["法人卡有什么用", "操作员卡有啥用", "北京单一窗口有什么用"])
def test_asking_what_a_thing_is_for_is_no_complaint(text: str) -> None:
    assert not complaints.is_complaint(text)


@pytest.mark.parametrize(
    "text",
    ["给个差评，极差", "体验差到家了", "问什么都不会，一问三不知", "这都答不上来还好意思说是客服"],
)
def test_the_fifteenth_rounds_complaint_words(text: str) -> None:
    """A rating's intensifiers and an assistant that cannot answer (issue 17, round 15)."""
    assert complaints.is_complaint(text)


def test_a_user_who_does_not_know_is_no_complaint() -> None:
    assert not complaints.is_complaint("这几个条件都得填吗，我什么都不知道")


@pytest.mark.parametrize("text", ["这个客服就是个摆设", "热线形同虚设"])
def test_the_sixteenth_rounds_complaint_words(text: str) -> None:
    """A service that exists only in name (issue 17, round 16)."""
    assert complaints.is_complaint(text)
