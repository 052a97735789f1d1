"""CSV downloads: BOM, per-cent headings, formula-looking text escaped, numbers and times
as they are."""

import datetime as dt

from django.utils import timezone

from shuzheng.foundation.web import csvexport


def test_text_that_looks_like_a_formula_is_escaped_but_numbers_are_not():
    assert csvexport.cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for text in ("+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csvexport.cell(text) == "'" + text
    assert csvexport.cell(-5) == "-5" and csvexport.cell(0.25) == "0.25"
    assert csvexport.cell(None) == "" and csvexport.cell(["a", "b"]) == "a b"
    moment = dt.datetime(2026, 11, 30, 1, 2, tzinfo=dt.UTC)
    assert csvexport.cell(moment) == timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_the_response_has_a_bom_headings_and_a_file_name():
    response = csvexport.response(
        "x-20261130.csv",
        [("name", "部门"), ("on_time_rate", "按时办结率")],
        [{"name": "=cmd", "on_time_rate": 0.9}],
        percent=lambda key: key.endswith("_rate"),
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff部门,按时办结率（%）")
    assert "'=cmd,0.9" in body
    assert response["Content-Disposition"] == 'attachment; filename="x-20261130.csv"'
