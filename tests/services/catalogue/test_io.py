"""Catalogue export and import: the JSON interchange format and the Excel workbook both make
an exact round trip; an import is all or nothing, says where each problem is, and creates a
new draft only when an item's content changed."""

import copy
import io as bytes_io
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.catalogue import demo, io, selectors, services
from shuzheng.services.catalogue.models import BasicItem, ItemVersion, ServiceItem, Theme
from tests.services.catalogue.builders import (  # noqa: F401  (fixtures)
    simplified_chinese_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).with_name("fixtures")
DEMO = json.loads((FIXTURES / "catalogue-demo.json").read_text(encoding="utf-8"))


def demo_data() -> dict:
    return copy.deepcopy(DEMO)


def wipe() -> None:
    """An empty catalogue, as on a fresh installation (organisations stay)."""
    ServiceItem.objects.all().delete()
    BasicItem.objects.all().delete()
    Theme.objects.all().delete()


def counts() -> tuple:
    return (
        ServiceItem.objects.count(),
        ItemVersion.objects.count(),
        BasicItem.objects.count(),
        Theme.objects.count(),
    )


@pytest.fixture
def loaded(tree):
    """The demo fixture, plus a second published version of the first item."""
    io.import_catalogue(access.SYSTEM, demo_data(), publish=True)
    Theme.objects.create(code="birth", name="出生", audience="person", sort_order=1)
    item = ServiceItem.objects.get(implementation_code=DEMO["items"][0]["implementation_code"])
    draft = services.new_draft(access.SYSTEM, item)
    services.update_draft(
        access.SYSTEM,
        draft,
        fields={"promised_limit": 2, "change_note": "压缩时限"},
        themes=["kaiban", "birth"],
    )
    services.submit_for_review(access.SYSTEM, draft)
    services.review(access.SYSTEM, draft, approve=True, opinion="")
    return item


# --- round trips --------------------------------------------------------------------------


def test_the_json_export_is_the_interchange_format(loaded):
    data = io.export_catalogue(access.SYSTEM)
    assert data["format"] == "shuzheng.catalogue/1"
    assert [t["code"] for t in data["themes"]] == ["kaiban", "birth"] or [
        t["code"] for t in data["themes"]
    ] == ["birth", "kaiban"]
    first = data["items"][0]
    assert first["organisation"] == "珠海市政务服务数据管理局"
    assert first["version"]["promised_limit"] == 2  # the current version, not the first
    assert first["version"]["materials"][1]["removed_rule"] == "online_check"
    assert set(first["version"]) == {
        *services.CONTENT_FIELDS,
        "themes",
        "materials",
        "fees",
        "questions",
    }


def test_json_round_trip_into_an_empty_catalogue_is_exact(loaded):
    exported = io.dumps(io.export_catalogue(access.SYSTEM))
    wipe()
    result = io.import_catalogue(access.SYSTEM, json.loads(exported), publish=True)
    assert len(result.created) == len(result.published) == 2
    assert io.dumps(io.export_catalogue(access.SYSTEM)) == exported


def test_xlsx_round_trip_into_an_empty_catalogue_is_exact(loaded):
    original = io.export_catalogue(access.SYSTEM)
    workbook = io.to_xlsx(original)
    wipe()
    data, locator = io.read_file("catalogue.xlsx", workbook)
    io.import_catalogue(access.SYSTEM, data, publish=True, locator=locator)
    assert io.export_catalogue(access.SYSTEM) == original
    assert cells(io.to_xlsx(io.export_catalogue(access.SYSTEM))) == cells(workbook)


def cells(content: bytes) -> dict:
    book = load_workbook(bytes_io.BytesIO(content), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_workbook_has_the_provincial_template_shape(loaded):
    book = load_workbook(bytes_io.BytesIO(io.to_xlsx(io.export_catalogue(access.SYSTEM))))
    assert book.sheetnames[:4] == ["事项基本信息", "申请材料", "收费项目", "常见问题"]
    assert "说明" in book.sheetnames
    main = book["事项基本信息"]
    headers = [c.value for c in main[1]]
    assert headers[:6] == ["实施编码", "基本编码", "事项名称", "事项类型", "实施主体", "设定依据"]
    row = dict(zip(headers, [c.value for c in main[2]], strict=True))
    assert row["事项类型"] == "行政许可" and row["服务对象"] == "自然人、法人"
    assert row["在线办理深度"] == "四级：全程网办" and row["通办范围"] == "全省通办"
    assert (
        row["是否收费"] == "否"
        and row["主题分类"] == "开办；出生"
        or row["主题分类"] == "出生；开办"
    )
    assert json.loads(row["申请表单（JSON Schema）"])["type"] == "object"
    materials = book["申请材料"]
    assert [c.value for c in materials[1]][0] == "实施编码"
    assert [c.value for c in materials[3]][-1] == "能通过网络核验的一律取消"


# --- idempotence and drafts ----------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(tree):
    first = io.import_catalogue(access.SYSTEM, demo_data(), publish=True)
    before = (counts(), AuditRecord.objects.filter(action__startswith="catalogue.version").count())
    second = io.import_catalogue(access.SYSTEM, demo_data(), publish=True)
    assert first.changed == 2 and second.changed == 0
    assert len(second.unchanged) == 2
    assert (
        counts(),
        AuditRecord.objects.filter(action__startswith="catalogue.version").count(),
    ) == before


def test_an_editors_import_of_changed_content_becomes_one_draft(tree, staff):
    io.import_catalogue(access.SYSTEM, demo_data(), publish=True)
    data = demo_data()
    data["items"] = data["items"][:1]
    data["items"][0]["version"]["promised_limit"] = 1
    result = io.import_catalogue(staff.editor, data)
    assert (result.drafted, result.published) == ([data["items"][0]["implementation_code"]], [])
    item = ServiceItem.objects.get(implementation_code=data["items"][0]["implementation_code"])
    assert item.current.promised_limit == 3  # still the published one
    draft = selectors.open_draft_of(item)
    assert (draft.version, draft.promised_limit, draft.created_by) == (2, 1, staff.editor)
    again = io.import_catalogue(staff.editor, data)
    assert again.changed == 0 and item.versions.count() == 2
    data["items"][0]["version"]["promised_limit"] = 2
    io.import_catalogue(staff.editor, data)
    assert item.versions.count() == 2 and selectors.open_draft_of(item).promised_limit == 2


def test_only_the_installation_imports_straight_to_published(tree, staff):
    with pytest.raises(PermissionDenied):
        io.import_catalogue(staff.editor, demo_data(), publish=True)
    assert counts() == (0, 0, 0, 0)


def test_a_citizen_cannot_import(tree, citizen):
    with pytest.raises(PermissionDenied):
        io.import_catalogue(citizen, demo_data())
    assert counts() == (0, 0, 0, 0)


def test_an_editor_imports_only_items_of_their_own_organisations(tree, staff):
    with pytest.raises(io.ImportFailed) as failed:
        io.import_catalogue(staff.editor, demo_data())
    assert any("斗门区" in p and "编制范围" in p for p in failed.value.problems)
    assert counts() == (0, 0, 0, 0)


def test_an_item_in_review_with_other_content_is_not_overwritten(tree, staff):
    io.import_catalogue(access.SYSTEM, demo_data(), publish=True)
    item = ServiceItem.objects.get(implementation_code=DEMO["items"][0]["implementation_code"])
    draft = services.new_draft(staff.editor, item)
    services.submit_for_review(staff.editor, draft)
    data = demo_data()
    data["items"] = data["items"][:1]
    data["items"][0]["version"]["promised_limit"] = 1
    with pytest.raises(io.ImportFailed, match="待审核"):
        io.import_catalogue(staff.editor, data)


# --- problems, reported by place -----------------------------------------------------------


def test_an_unknown_organisation_is_an_error_naming_the_item(tree):
    data = demo_data()
    data["items"][1]["organisation"] = "珠海市不存在局"
    with pytest.raises(io.ImportFailed) as failed:
        io.import_catalogue(access.SYSTEM, data, publish=True)
    (problem,) = failed.value.problems
    assert "第 2 个事项" in problem and "11440403MB2C00000000000000000000D002" in problem
    assert "珠海市不存在局" in problem
    assert counts() == (0, 0, 0, 0)


def test_an_ambiguous_organisation_name_is_refused(tree):
    identity.create_organisation(
        access.SYSTEM, parent=tree.xiangzhou, name="斗门区", kind=OrgKind.UNIT
    )
    with pytest.raises(io.ImportFailed, match="多个名为“斗门区”"):
        io.import_catalogue(access.SYSTEM, demo_data(), publish=True)


def test_every_bad_row_is_reported_and_nothing_is_imported(tree):
    data = demo_data()
    data["themes"].append({"code": "bad code", "name": "", "audience": "alien"})
    version = data["items"][0]["version"]
    version["promised_limit"] = 99
    version["materials"][1]["removed_rule"] = "too_old"
    version["themes"] = ["kaiban", "nope"]
    data["items"][1]["implementation_code"] = data["items"][0]["implementation_code"]
    data["items"][1]["basic_code"] = "999999999999"
    with pytest.raises(io.ImportFailed) as failed:
        io.import_catalogue(access.SYSTEM, data, publish=True)
    text = "\n".join(failed.value.problems)
    for expected in (
        "主题分类第 2 项",
        "承诺办结时限：承诺办结时限（99）不能超过法定办结时限（15）",
        "申请材料第 2 项 · 取消依据（五个一律取消）：未知的取消依据：too_old",
        "未知的主题分类：nope",
        "实施编码与第 1 个事项重复",
        "基本目录中没有基本编码 999999999999",
    ):
        assert expected in text, text
    assert counts() == (0, 0, 0, 0)


def test_a_file_that_is_not_the_format_is_refused(tree):
    with pytest.raises(io.ImportFailed, match="shuzheng.catalogue/1"):
        io.import_catalogue(access.SYSTEM, {"items": []})
    with pytest.raises(io.ImportFailed, match="JSON"):
        io.read_file("x.json", b"{not json")
    with pytest.raises(io.ImportFailed, match="Excel"):
        io.read_file("x.xlsx", b"PK\x03\x04 not really")


def workbook_with(edit) -> bytes:
    book = load_workbook(bytes_io.BytesIO(io.to_xlsx(demo_data())))
    edit(book)
    out = bytes_io.BytesIO()
    book.save(out)
    return out.getvalue()


def column(ws, header) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def test_workbook_problems_name_sheet_row_and_column(tree):
    def edit(book):
        main = book["事项基本信息"]
        main.cell(row=2, column=column(main, "承诺办结时限"), value=99)
        main.cell(row=3, column=column(main, "事项类型"), value="行政许可证")
        materials = book["申请材料"]
        materials.cell(row=3, column=column(materials, "取消依据（五个一律取消）"), value="随便")
        materials.append(["NOPE", "x", "某材料", "原件", "必要"])

    data_or_problem = None
    with pytest.raises(io.ImportFailed) as failed:
        data_or_problem = io.read_file("c.xlsx", workbook_with(edit))
    assert data_or_problem is None
    text = "\n".join(failed.value.problems)
    assert "「事项基本信息」第 3 行「事项类型」列：“行政许可证”不是有效选项" in text
    assert "「申请材料」第 3 行「取消依据（五个一律取消）」列：“随便”不是有效选项" in text
    assert "「申请材料」第 6 行「实施编码」列" in text and "NOPE" in text
    assert counts() == (0, 0, 0, 0)


def test_workbook_rule_problems_point_at_their_cell(tree):
    def edit(book):
        main = book["事项基本信息"]
        main.cell(row=2, column=column(main, "承诺办结时限"), value=99)
        fees = book["收费项目"]
        fees.cell(row=2, column=column(fees, "收费标准")).value = None

    data, locator = io.read_file("c.xlsx", workbook_with(edit))
    with pytest.raises(io.ImportFailed) as failed:
        io.import_catalogue(access.SYSTEM, data, publish=True, locator=locator)
    text = "\n".join(failed.value.problems)
    assert "「事项基本信息」第 2 行「承诺办结时限」列：承诺办结时限（99）不能超过" in text
    assert "「收费项目」第 2 行「收费标准」列：此项必填" in text
    assert counts() == (0, 0, 0, 0)


def test_blank_optional_cells_take_their_defaults(tree):
    def edit(book):
        main = book["事项基本信息"]
        for header in ("到办事现场次数", "法定时限单位", "支持预约办理", "检索关键词"):
            main.cell(row=2, column=column(main, header)).value = None

    data, locator = io.read_file("c.xlsx", workbook_with(edit))
    io.import_catalogue(access.SYSTEM, data, publish=True, locator=locator)
    version = ServiceItem.objects.get(
        implementation_code=DEMO["items"][0]["implementation_code"]
    ).current
    assert (version.trips, version.legal_limit_unit, version.appointment, version.keywords) == (
        0,
        "working_days",
        False,
        [],
    )


# --- the command and the demo loader -------------------------------------------------------


def test_the_command_exports_and_imports_both_formats(loaded, tmp_path, capsys):
    json_file, xlsx_file = tmp_path / "c.json", tmp_path / "c.xlsx"
    call_command("catalogue", "export", "--format", "json", "-o", str(json_file))
    call_command("catalogue", "export", "--format", "xlsx", "-o", str(xlsx_file))
    exported = json_file.read_text(encoding="utf-8")
    assert json.loads(exported)["items"]
    wipe()
    call_command("catalogue", "import", str(xlsx_file), "--publish")
    assert io.dumps(io.export_catalogue(access.SYSTEM)) == exported
    call_command("catalogue", "import", str(json_file), "--publish")
    assert "内容未变 2 个" in capsys.readouterr().out


def test_the_command_exports_one_department(loaded, tmp_path):
    out = tmp_path / "d.json"
    call_command("catalogue", "export", "-o", str(out), "--department", "斗门区")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [i["organisation"] for i in data["items"]] == ["斗门区"]
    with pytest.raises(CommandError):
        call_command("catalogue", "export", "-o", str(out), "--department", "没有这个局")


def test_the_command_imports_drafts_without_publish(tree, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(DEMO, ensure_ascii=False), encoding="utf-8")
    call_command("catalogue", "import", str(path))
    assert ServiceItem.objects.count() == 2
    assert not selectors.published_items().exists()


def test_the_command_reports_problems_and_imports_nothing(tree, tmp_path, capsys):
    data = demo_data()
    data["items"][0]["organisation"] = "珠海市不存在局"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("catalogue", "import", str(path), "--publish")
    assert "珠海市不存在局" in capsys.readouterr().err
    assert counts() == (0, 0, 0, 0)


def test_the_demo_loader_publishes_and_is_idempotent(tree, tmp_path):
    (tmp_path / "catalogue-demo.json").write_text(json.dumps(DEMO), encoding="utf-8")
    (tmp_path / "synonyms.json").write_text('{"format": "shuzheng.synonyms/1"}', encoding="utf-8")
    assert demo.load_demo(directory=tmp_path) == 2
    assert selectors.published_items().count() == 2
    before = counts()
    assert demo.load_demo(directory=tmp_path) == 0
    assert counts() == before


def test_the_demo_loader_names_the_item_with_an_unknown_organisation(tree, tmp_path):
    data = demo_data()
    data["items"][1]["organisation"] = "珠海市不存在局"
    (tmp_path / "catalogue-x.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(io.ImportFailed) as failed:
        demo.load_demo(directory=tmp_path)
    assert "catalogue-x.json" in failed.value.problems[0]
    assert "11440403MB2C00000000000000000000D002" in failed.value.problems[0]
    assert counts() == (0, 0, 0, 0)


def test_the_demo_loader_lets_one_file_use_the_themes_of_another(tree, tmp_path):
    items = demo_data()
    items["themes"] = []  # its items use 开办, which only the second file defines
    themes = {"format": io.FORMAT, "themes": DEMO["themes"], "basic_items": [], "items": []}
    (tmp_path / "catalogue-a.json").write_text(json.dumps(items), encoding="utf-8")
    (tmp_path / "catalogue-b.json").write_text(json.dumps(themes), encoding="utf-8")
    assert demo.load_demo(directory=tmp_path) == 2
    assert selectors.published_items().filter(current__themes__code="kaiban").count() == 2
