"""The reports' unanswered questions (queue_service/reports/queries.py `clustered`): the same
question asked alike is one row with its counts and reasons summed, different questions stay
rows of their own, and the table shows the other wordings."""

from queue_service.reports import queries, tables


def test_a_question_asked_alike_is_one_row_with_its_reasons_summed() -> None:
    keys = {
        "out_of_scope:讲个笑话": 3,
        "out_of_scope:请问讲个笑话吧": 1,
        "not_understood:讲个笑话！": 1,
        "not_understood:报关单怎么查询": 2,
        "not_understood:报关单怎么修改": 2,
    }
    rows = queries.clustered(keys)
    assert [(r.text, r.count) for r in rows] == [
        ("讲个笑话", 5),
        ("报关单怎么修改", 2),
        ("报关单怎么查询", 2),
    ]
    assert rows[0].reasons == {"out_of_scope": 4, "not_understood": 1}
    assert set(rows[0].wordings) == {"请问讲个笑话吧", "讲个笑话！"}
    table = tables.unanswered(rows)
    assert table.columns[-1] == "同类问法"
    assert table.rows[0][3] == "超出服务范围 4；未能理解 1"
    assert table.rows[0][4] in ("请问讲个笑话吧；讲个笑话！", "讲个笑话！；请问讲个笑话吧")
    assert table.rows[1][4] == ""


def test_beyond_the_clustered_wordings_each_is_a_row(monkeypatch) -> None:
    monkeypatch.setattr(queries, "MAX_CLUSTERED", 1)
    rows = queries.clustered({"out_of_scope:讲个笑话": 3, "out_of_scope:请问讲个笑话吧": 1})
    assert [(r.text, r.count) for r in rows] == [("讲个笑话", 3), ("请问讲个笑话吧", 1)]
