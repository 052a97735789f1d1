"""Catalogue import and export: JSON and the provincial workbook round-trip; a file with wrong
columns or bad rows is refused with every problem at its place and nothing half-imported;
imports belong to the importer's department; codes are kept or assigned."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from openpyxl import load_workbook

from shuzheng.data.catalog import services, transfer
from shuzheng.data.catalog.models import CatalogueEntry, EntryStatus, GradingRecord
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.catalog.conftest import ITEMS

pytestmark = pytest.mark.django_db

DROPPED = ("status", "version", "published_at")


def comparable(doc: dict) -> list[dict]:
    """The entries of a document without what an import cannot carry (state, dates)."""
    rows = []
    for entry in doc["entries"]:
        row = {k: v for k, v in entry.items() if k not in DROPPED}
        rows.append(row)
    return sorted(rows, key=lambda r: r["code"])


def make_catalogue(dm, cls, entry_kwargs, publish_entry):
    """Three entries of 公安局 (two classifications, one published and open), made inside a
    savepoint the caller rolls back — so the import then meets an empty catalogue."""
    first = services.create_entry(dm.ga_admin, **entry_kwargs(theme="人口", on_platform=False))
    second = services.create_entry(
        dm.ga_admin,
        **entry_kwargs(
            name="法人登记信息",
            classification=cls.legal,
            kind="base",
            share_type="unconditional",
            share_condition="",
            open_type="conditional",
            open_condition="注册用户可下载",
            update_cycle="monthly",
            resource_format="spreadsheet",
            keywords=["法人", "=SUM(A1)"],
            summary="-开头的摘要；含分号，与“引号”",
            items=[
                {
                    "code": "uscc",
                    "name": "统一社会信用代码",
                    "data_type": "C",
                    "length": 18,
                    "grade": "general_2",
                    "is_key": True,
                },
                {
                    "code": "reg_date",
                    "name": "成立日期",
                    "data_type": "D",
                    "grade": "general_1",
                    "description": "YYYY-MM-DD",
                },
            ],
        ),
    )
    second = publish_entry(second)
    third = services.create_entry(
        dm.ga_admin,
        **entry_kwargs(
            name="重点人员信息",
            share_type="none",
            share_condition="",
            not_shared_basis="《中华人民共和国反恐怖主义法》",
            related=[dm.population.code],
            sources=[dm.population.code],
            items=[
                dict(ITEMS[0]),
                {
                    "code": "note",
                    "name": "备注",
                    "data_type": "M",
                    "grade": "important",
                    "mask": "suppress",
                },
            ],
        ),
    )
    return [first, second, third]


def export_then_forget(dm, cls, entry_kwargs, publish_entry, *, working=True, xlsx=False):
    with transaction.atomic():
        entries = make_catalogue(dm, cls, entry_kwargs, publish_entry)
        doc = transfer.export_json(entries, working=working)
        book = transfer.export_xlsx(entries, working=working) if xlsx else None
        transaction.set_rollback(True)
    assert not CatalogueEntry.objects.exclude(pk=dm.population.pk).exists()
    return doc, book


# --- round trips -----------------------------------------------------------------------------


def test_json_export_then_import_on_an_empty_catalogue_reproduces_entries_and_items(
    dm, cls, entry_kwargs, publish_entry
):
    doc, _ = export_then_forget(dm, cls, entry_kwargs, publish_entry)
    assert doc["format"] == transfer.FORMAT and len(doc["entries"]) == 3
    text = transfer.dumps(doc)  # what is downloaded is what is uploaded
    report = transfer.import_json(dm.ga_admin, text.encode())
    assert report.ok, [str(p) for p in report.problems]
    assert sorted(report.created) == sorted(e["code"] for e in doc["entries"])
    assert report.items == 7 and not report.assigned
    imported = CatalogueEntry.objects.exclude(pk=dm.population.pk)
    assert {e.status for e in imported} == {EntryStatus.DRAFT}
    assert comparable(transfer.export_json(imported, working=True)) == comparable(doc)


def test_the_published_form_round_trips_too(dm, cls, entry_kwargs, publish_entry):
    with transaction.atomic():
        entries = make_catalogue(dm, cls, entry_kwargs, publish_entry)
        doc = transfer.export_json(entries)  # the visible catalogue: publications only
        transaction.set_rollback(True)
    assert [e["name"] for e in doc["entries"]] == ["法人登记信息"]
    report = transfer.import_json(dm.ga_admin, doc)
    assert report.ok, [str(p) for p in report.problems]
    imported = CatalogueEntry.objects.get(code=doc["entries"][0]["code"])
    assert comparable(transfer.export_json([imported], working=True)) == comparable(doc)


def test_workbook_export_then_import_on_an_empty_catalogue_reproduces_entries_and_items(
    dm, cls, entry_kwargs, publish_entry
):
    doc, book = export_then_forget(dm, cls, entry_kwargs, publish_entry, xlsx=True)
    report = transfer.import_xlsx(dm.ga_admin, io.BytesIO(book))
    assert report.ok, [str(p) for p in report.problems]
    imported = CatalogueEntry.objects.exclude(pk=dm.population.pk)
    assert comparable(transfer.export_json(imported, working=True)) == comparable(doc)


def test_the_workbook_has_chinese_headings_labels_and_keeps_formula_like_text_as_text(
    dm, cls, entry_kwargs, publish_entry
):
    _doc, book = export_then_forget(dm, cls, entry_kwargs, publish_entry, xlsx=True)
    wb = load_workbook(io.BytesIO(book))
    assert wb.sheetnames == ["信息资源", "信息项", "填写说明"]
    head = [c.value for c in wb["信息资源"][1]]
    for heading in (
        "信息资源分类",
        "信息资源名称",
        "信息资源代码",
        "提供方",
        "提供方代码",
        "共享类型",
        "开放类型",
        "数据级别",
        "发布日期",
        "关联资源代码",
    ):
        assert heading in head
    rows = {
        r[head.index("信息资源名称")]: r
        for r in wb["信息资源"].iter_rows(min_row=2, values_only=True)
    }
    legal = rows["法人登记信息"]
    assert legal[head.index("共享类型")] == "无条件共享"
    assert legal[head.index("开放类型")] == "有条件开放"
    assert legal[head.index("提供方")] == "珠海市公安局"
    assert legal[head.index("摘要")].startswith("-开头")
    cell = wb["信息资源"].cell(
        row=2 + list(rows).index("法人登记信息"), column=head.index("关键字") + 1
    )
    assert cell.data_type == "s" and "=SUM(A1)" in cell.value
    item_head = [c.value for c in wb["信息项"][1]]
    grades = {
        r[item_head.index("数据级别")] for r in wb["信息项"].iter_rows(min_row=2, values_only=True)
    }
    assert "一般数据（4级）" in grades and "重要数据" in grades


def test_the_template_has_headings_drop_downs_and_instructions():
    wb = load_workbook(io.BytesIO(transfer.template_xlsx()))
    assert wb.sheetnames == ["信息资源", "信息项", "填写说明"]
    assert [c.value for c in wb["信息资源"][1]] == [h for h, *_ in transfer.ENTRY_COLUMNS]
    assert [c.value for c in wb["信息项"][1]] == [h for h, *_ in transfer.ITEM_COLUMNS]
    lists = [dv.formula1 for dv in wb["信息资源"].data_validations.dataValidation]
    assert any("有条件共享" in f for f in lists) and any("一般数据（3级）" in f for f in lists)
    item_lists = [dv.formula1 for dv in wb["信息项"].data_validations.dataValidation]
    assert any("字符型" in f for f in item_lists) and any(f == '"是,否"' for f in item_lists)
    notes = " ".join(str(r[0]) for r in wb["填写说明"].iter_rows(values_only=True) if r[0])
    assert "就高从严" in notes and "临时编号" in notes


# --- workbook helpers ------------------------------------------------------------------------


def workbook(entries, items, *, entry_head=None, item_head=None) -> bytes:
    """A workbook from dicts keyed by heading (missing headings: blank)."""
    from openpyxl import Workbook

    entry_head = entry_head or [h for h, *_ in transfer.ENTRY_COLUMNS]
    item_head = item_head or [h for h, *_ in transfer.ITEM_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.title = "信息资源"
    ws.append(entry_head)
    for row in entries:
        ws.append([row.get(h) for h in entry_head])
    items_ws = wb.create_sheet("信息项")
    items_ws.append(item_head)
    for row in items:
        items_ws.append([row.get(h) for h in item_head])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def entry_row(**changes):
    row = {
        "信息资源分类": "101 人口",
        "信息资源名称": "户籍人口信息",
        "信息资源代码": "新1",
        "提供方": "珠海市公安局",
        "摘要": "户籍人口的登记信息",
        "格式": "数据库",
        "关键字": "户籍；人口",
        "更新周期": "每日",
        "共享类型": "有条件共享",
        "共享条件": "用于法定职责",
        "共享方式": "接口",
        "开放类型": "不予开放",
        "数据级别": "",
    }
    row.update(changes)
    return row


def item_row(**changes):
    row = {
        "信息资源代码": "新1",
        "信息项名称": "公民身份号码",
        "信息项标识": "id_number",
        "数据类型": "字符型",
        "长度": 18,
        "数据级别": "一般数据（4级）",
        "是否个人信息": "是",
        "是否敏感个人信息": "是",
        "脱敏方式": "证件号码（保留前6后4位）",
        "是否主键": "是",
    }
    row.update(changes)
    return row


def count():
    return CatalogueEntry.objects.count()


def test_a_new_entry_with_a_file_reference_gets_the_next_code_of_its_classification(dm, cls):
    book = workbook(
        [entry_row(), entry_row(**{"信息资源代码": "新2", "信息资源名称": "流动人口信息"})],
        [item_row(), item_row(**{"信息资源代码": "新2"})],
    )
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert report.ok, [str(p) for p in report.problems]
    assert report.assigned == {"新1": "101/000001", "新2": "101/000002"}
    entry = CatalogueEntry.objects.get(code="101/000001")
    assert entry.provider == dm.gongan and entry.status == EntryStatus.DRAFT
    assert entry.grade == "general_4" and entry.keywords == ["户籍", "人口"]
    assert list(entry.items.values_list("code", "grade", "mask", "is_key")) == [
        ("id_number", "general_4", "id_number", True)
    ]
    assert AuditRecord.objects.filter(action="data.catalog.import").count() == 1


def test_codes_and_ascii_brackets_are_accepted_for_choices(dm, cls):
    book = workbook(
        [entry_row(**{"共享类型": "conditional", "格式": "database", "数据级别": "一般数据(4级)"})],
        [item_row(**{"数据类型": "C", "数据级别": "general_4", "脱敏方式": "id_number"})],
    )
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert report.ok, [str(p) for p in report.problems]


def test_an_entry_blank_provider_is_the_importers_department(dm, cls):
    book = workbook([entry_row(**{"提供方": ""})], [item_row()])
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert report.ok and CatalogueEntry.objects.get(code="101/000001").provider == dm.gongan


# --- refused files ---------------------------------------------------------------------------


def test_wrong_columns_are_listed_and_nothing_else_is_read(dm, cls):
    head = [h for h, *_ in transfer.ENTRY_COLUMNS if h not in ("共享类型", "摘要")] + ["备注栏"]
    book = workbook([entry_row()], [item_row()], entry_head=head)
    before = count()
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert not report.ok and count() == before
    found = {(p.sheet, p.row, p.column, p.message) for p in report.problems}
    assert ("信息资源", 1, "共享类型", "缺少此列") in found
    assert ("信息资源", 1, "摘要", "缺少此列") in found
    assert ("信息资源", 1, "备注栏", "未知的列“备注栏”") in found
    assert len(report.problems) == 3


def test_a_missing_sheet_is_reported(dm, cls):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Sheet1"
    out = io.BytesIO()
    wb.save(out)
    report = transfer.import_xlsx(dm.ga_admin, out.getvalue())
    assert {(p.sheet, p.message) for p in report.problems} == {
        ("信息资源", "缺少此工作表"),
        ("信息项", "缺少此工作表"),
    }


def test_not_a_workbook_is_reported(dm):
    report = transfer.import_xlsx(dm.ga_admin, b"PK\x03\x04 not really")
    assert [p.message for p in report.problems] == ["不是有效的 Excel 工作簿（.xlsx）"]


def test_every_bad_row_is_reported_with_sheet_row_and_column_and_nothing_is_written(dm, cls):
    entries = [
        entry_row(),  # row 2: good
        entry_row(**{"信息资源代码": "新2", "信息资源分类": "999"}),  # row 3
        entry_row(**{"信息资源代码": "新3", "提供方": "没有这个局"}),  # row 4
        entry_row(**{"信息资源代码": "新4", "提供方": "珠海市卫生健康局"}),  # row 5
        entry_row(**{"信息资源代码": "新5", "共享类型": "随便共享"}),  # row 6
        entry_row(**{"信息资源代码": "新6", "数据级别": "一般数据（2级）"}),  # row 7
    ]
    items = [
        item_row(),  # row 2
        item_row(**{"信息资源代码": "新2"}),
        item_row(**{"信息资源代码": "新3"}),
        item_row(**{"信息资源代码": "新4"}),
        item_row(**{"信息资源代码": "新5"}),
        item_row(**{"信息资源代码": "新6"}),  # row 7: 4 级 item under a 2 级 entry
        item_row(**{"信息资源代码": "新9"}),  # row 8: unknown entry
        item_row(**{"信息项名称": "身份证号", "是否主键": "否"}),  # row 9: duplicate code in 新1
        item_row(**{"信息项标识": "nick", "数据类型": "字符型", "长度": None, "是否主键": "否"}),
    ]
    before = count()
    report = transfer.import_xlsx(dm.ga_admin, workbook(entries, items))
    assert not report.ok and count() == before
    got = {(p.sheet, p.row, p.column): p.message for p in report.problems}
    assert got[("信息项", 8, "信息资源代码")] == "「信息资源」中没有信息资源代码 新9"
    assert "未知的信息资源分类" in got[("信息资源", 3, "信息资源分类")]
    assert "找不到名称为“没有这个局”的机构" in got[("信息资源", 4, "提供方")]
    assert "只能导入本部门的目录" in got[("信息资源", 5, "提供方")]
    assert "不是有效选项" in got[("信息资源", 6, "共享类型")]
    assert "就高从严" in got[("信息资源", 7, "数据级别")]
    assert "重复" in got[("信息项", 9, "信息项标识")]
    assert "长度" in got[("信息项", 10, "长度")]
    assert str(report.problems[0]).startswith("「信息资源」第 3 行「信息资源分类」列：")
    assert AuditRecord.objects.filter(action="data.catalog.import").count() == 0


def test_a_service_rule_refusal_rolls_back_the_entries_already_written(dm, cls):
    """The first entry is fine; the second breaks a rule only the service checks (有条件开放
    without its condition): neither is written."""
    entries = [entry_row(), entry_row(**{"信息资源代码": "新2", "开放类型": "有条件开放"})]
    items = [item_row(), item_row(**{"信息资源代码": "新2"})]
    before = count()
    report = transfer.import_xlsx(dm.ga_admin, workbook(entries, items))
    assert not report.ok and count() == before
    assert [(p.row, p.column) for p in report.problems] == [(3, "开放条件")]
    assert "有条件开放须写明开放条件" in report.problems[0].message


def test_json_problems_name_the_entry_and_item(dm, cls):
    doc = {
        "format": transfer.FORMAT,
        "entries": [
            {
                "code": "新1",
                "classification": "101",
                "name": "户籍人口",
                "summary": "",
                "resource_format": "database",
                "update_cycle": "sometimes",
                "share_type": "conditional",
                "share_condition": "法定职责",
                "share_method": "api",
                "open_type": "none",
                "colour": "red",
                "items": [
                    {
                        "code": "a b",
                        "name": "甲",
                        "data_type": "C",
                        "length": 2,
                        "grade": "general_2",
                    },
                    {"code": "x", "name": "乙", "data_type": "Q", "grade": "general_2"},
                ],
            }
        ],
    }
    report = transfer.import_json(dm.ga_admin, doc)
    got = {(p.sheet, p.row, p.column) for p in report.problems}
    assert ("entries", 1, "summary") in got
    assert ("entries", 1, "update_cycle") in got
    assert ("entries", 1, "colour") in got
    assert ("entries[1].items", 1, "code") in got
    assert ("entries[1].items", 2, "data_type") in got
    assert count() == 1


def test_a_file_of_another_format_is_refused(dm):
    report = transfer.import_json(dm.ga_admin, {"format": "shuzheng.catalogue/1", "items": []})
    assert not report.ok and "format" in report.problems[0].message
    report = transfer.import_json(dm.ga_admin, b"{not json")
    assert "不是有效的 JSON" in report.problems[0].message


def test_the_empty_template_imports_nothing_and_says_so(dm):
    report = transfer.import_xlsx(dm.ga_admin, transfer.template_xlsx())
    assert [p.message for p in report.problems] == ["文件中没有信息资源"]


# --- existing codes --------------------------------------------------------------------------


def test_a_draft_of_the_same_provider_is_updated_in_place(dm, cls, entry_kwargs):
    draft = services.create_entry(dm.ga_admin, **entry_kwargs())
    doc = transfer.export_json([draft], working=True)
    doc["entries"][0]["name"] = "常住人口登记信息（修订）"
    doc["entries"][0]["items"] = doc["entries"][0]["items"][:2]
    report = transfer.import_json(dm.ga_admin, json.loads(json.dumps(doc)))
    assert report.ok and report.updated == [draft.code] and not report.created
    draft.refresh_from_db()
    assert draft.name == "常住人口登记信息（修订）" and draft.items.count() == 2
    assert draft.revision == 1


def test_a_published_entry_or_another_providers_code_is_not_overwritten(dm, cls, entry_kwargs):
    doc = transfer.export_json([dm.population], working=True)
    report = transfer.import_json(dm.ga_admin, doc)
    assert not report.ok and "只有草稿或修订中的条目可以导入覆盖" in report.problems[0].message
    # 卫健局 names its own department but 公安局's code
    doc["entries"][0]["provider"] = {"uscc": "", "name": "珠海市卫生健康局"}
    report = transfer.import_json(dm.wj_admin, doc)
    assert "已被“珠海市公安局”使用" in report.problems[0].message
    assert dm.population.items.count() == 7


def test_a_code_of_another_classification_is_refused(dm, cls):
    book = workbook(
        [entry_row(**{"信息资源代码": "102/000001"})], [item_row(**{"信息资源代码": "102/000001"})]
    )
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert ("信息资源", 2, "信息资源代码") in {(p.sheet, p.row, p.column) for p in report.problems}


def test_a_level_above_the_items_becomes_a_grading_proposal(dm, cls):
    book = workbook(
        [
            entry_row(
                **{
                    "数据级别": "重要数据",
                    "影响对象": "社会秩序",
                    "影响程度": "严重",
                    "定级依据": "汇聚后规模大",
                }
            )
        ],
        [item_row()],
    )
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert report.ok, [str(p) for p in report.problems]
    entry = CatalogueEntry.objects.get(code="101/000001")
    assert entry.grade == "general_4"  # until the proposal is approved
    record = GradingRecord.objects.get(entry=entry)
    assert (record.to_grade, record.status, record.impact_object) == (
        "important",
        "proposed",
        "social_order",
    )
    assert report.proposed == [entry.code]


def test_a_level_above_the_items_without_its_grounds_is_refused(dm, cls):
    book = workbook([entry_row(**{"数据级别": "重要数据"})], [item_row()])
    report = transfer.import_xlsx(dm.ga_admin, book)
    assert {p.column for p in report.problems} == {"影响对象", "影响程度", "定级依据"}


# --- who may import --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["wj_user", "outsider"])
def test_only_catalogue_editors_import(dm, cls, who):
    with pytest.raises(PermissionDenied):
        transfer.import_xlsx(getattr(dm, who), workbook([entry_row()], [item_row()]))
    assert count() == 1


def test_an_authority_without_edit_cannot_import_for_a_department(dm, cls):
    with pytest.raises(PermissionDenied):
        transfer.import_json(dm.authority, transfer.export_json([dm.population], working=True))
